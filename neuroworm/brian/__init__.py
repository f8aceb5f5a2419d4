"""Brian2 backend: population-batched networks of the papers' spiking models.

Importing this package does not import Brian2; :func:`build_network` does. The
standalone devices (C++ and CUDA: one compiled binary rerun with new genomes)
are in :mod:`neuroworm.brian.standalone`.
"""

from .network import BrianNetwork, build_network
from .standalone import StandaloneNetwork, cuda_available

__all__ = ["BrianNetwork", "StandaloneNetwork", "build_network", "cuda_available"]
