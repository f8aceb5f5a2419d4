"""ReLU networks with a resting drive: the ``dense`` open-loop path plus a constant input to every cell.

The ReLU unit of Schmidgall et al. (2023) has no bias, so a cell at rest
sits at 0 and an inhibitory synapse onto it changes nothing. A circuit
whose input cells are inhibitory (the fly's photoreceptors R1–R8 release
histamine, which hyperpolarises the lamina cells that light would
otherwise drive) then passes no signal at all, at any weight scale. Real
lamina and medulla cells are tonically active and light modulates them
both ways (Lappalainen et al. 2024 give every cell type a resting
potential). This backend adds a constant ``tonic`` drive to every cell::

    z(t+1) = ReLU( z(t) · M + I + tonic )

where ``I`` is the encoder's current on the input cells
(:mod:`neuroworm.backends.dense`; ``tonic = 0`` is exactly ``dense``).
The update is positively homogeneous: scaling ``I`` and ``tonic`` by the
same ``c > 0`` scales every activity by ``c``.

Registered on first use as ``"dense_tonic"``
(:func:`neuroworm.papers.priors.tonic_backend`); pass ``tonic`` through the
open-loop evaluator's ``backend_options``.
"""

import math

import numpy as np

from ..errors import ConfigError
from ..neurons.models import ReLU
from .dense import DenseReLUNetwork, dense_relu_activity, dense_relu_matrices

__all__ = ["TonicReLUNetwork"]


class TonicReLUNetwork(DenseReLUNetwork):
    """:class:`~neuroworm.backends.dense.DenseReLUNetwork` whose open loop adds a resting drive to every cell."""

    @classmethod
    def open_loop_activity(cls, layout, genomes, input_current, steps, *, populations=None, gap_junctions=True,
                           tonic=0.0, **options):
        """:meth:`DenseReLUNetwork.open_loop_activity <neuroworm.backends.dense.DenseReLUNetwork.open_loop_activity>`
        with ``tonic`` added to every cell's input at every step.

        ``tonic`` (float): the constant drive; negative, a threshold every
        cell's input must pass; 0 is the ``dense`` backend exactly. The other
        parameters and the result (``(P, B, n_outputs)`` summed output
        activity) are those of the ``dense`` backend; a non-finite ``tonic``
        or a layout of a spiking model raises :class:`~neuroworm.errors.ConfigError`.
        """
        if not (isinstance(tonic, (int, float)) and math.isfinite(tonic)):
            raise ConfigError(f"backend 'dense_tonic': tonic must be a finite number, got {tonic!r}")
        if tonic == 0:
            return super().open_loop_activity(layout, genomes, input_current, steps, gap_junctions=gap_junctions)
        if not isinstance(getattr(layout, "model", None), ReLU):
            raise ConfigError(f"backend 'dense_tonic' computes ReLU networks only, not model "
                              f"{getattr(layout, 'model_name', layout)!r}")
        circuit = layout.circuit
        matrices = dense_relu_matrices(layout, genomes, gap_junctions=gap_junctions)
        current = np.full(input_current.shape[:2] + (circuit.n_neurons,), float(tonic))
        current[:, :, np.asarray(circuit.input_index)] += input_current
        return dense_relu_activity(matrices, current, np.arange(circuit.n_neurons), circuit.output_index, steps)
