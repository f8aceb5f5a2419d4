"""Brian2 backend: population-batched networks of the papers' spiking models.

Importing this package does not import Brian2; :func:`build_network` does.
:mod:`~neuroworm.brian.network` holds the runtime network (registered as the
``"brian2"`` backend), :mod:`~neuroworm.brian.closed_loop` its one-run-per-episode
closed loop, :mod:`~neuroworm.brian.standalone` the standalone devices (C++ and
CUDA: one compiled binary rerun with new genomes), :mod:`~neuroworm.brian.openloop_standalone`
that binary as a population (registered as ``"brian2_standalone"``, for open-loop
evaluation), :mod:`~neuroworm.brian.codegen` the exact-arithmetic code generation targets.
"""

from .build import build_network
from .network import BrianNetwork
from .standalone import StandaloneNetwork, cuda_available

__all__ = ["BrianNetwork", "StandaloneNetwork", "build_network", "cuda_available"]
