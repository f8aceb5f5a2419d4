"""ReLU networks as dense batched matrix products, the weights of a genome shared by all its images.

The ``relu`` backend (:class:`neuroworm.backends.relu.ReLUNetwork`) steps P
networks as one block-diagonal sparse product. When P genomes each look at
B images, that would hold P·B copies of every weight; here each genome's
weights are one dense N × N matrix and its B images are the rows of a
matrix, so a step of the whole population is one stack of P dense products
of (B, N) by (N, N) — what BLAS does best. The update is the backend's
(Schmidgall et al. 2023, "Artificial Neuron Model"; see
:mod:`neuroworm.backends.relu`)::

    z(t+1) = ReLU( z(t) · M + I ),     M[i, j] = w_ij + g_ij - δ_ij Σ_k g_jk

with ``w_ij = s_ij · exp(w_log_ij)`` the chemical synapse from i to j and
``g`` the gap-junction conductances (both directions). A test holds it
against :class:`~neuroworm.backends.relu.ReLUNetwork` to rounding.

The backend ``"dense"`` (:class:`DenseReLUNetwork`) is the ``relu``
backend plus this shared-weight path: it overrides the protocol's
:meth:`~neuroworm.backends.NetworkPopulation.open_loop_activity`, which
:class:`~neuroworm.openloop.OpenLoopEvaluator` calls with all P genomes and
all B images at once, so that no population of P·B networks is built.
"""

import numpy as np

from ..errors import ConfigError
from ..neurons.models import ReLU
from .relu import ReLUNetwork

__all__ = ["DenseReLUNetwork", "dense_relu_activity", "dense_relu_matrices"]


def dense_relu_matrices(layout, genomes, gap_junctions=True):
    """One dense transfer matrix ``M`` (pre × post) per genome.

    Parameters
    ----------
    layout : GenomeLayout
        Of model ``"relu"``: gives the circuit and the weight slices.
    genomes : array_like, shape (P, D)
    gap_junctions : bool
        Add the gap-junction terms ``g·(z_pre - z_post)`` (as the backend's default).

    Returns
    -------
    numpy.ndarray, shape (P, N, N)
        ``M[p, i, j]``: what cell i's activity adds to cell j's drive.
    """
    genomes = layout.validate(genomes)
    genomes = genomes[None, :] if genomes.ndim == 1 else genomes
    circuit = layout.circuit
    P, N = genomes.shape[0], circuit.n_neurons
    matrices = np.zeros((P, N * N))
    pre, post = np.asarray(circuit.chemical_pre, np.int64), np.asarray(circuit.chemical_post, np.int64)
    columns = [pre * N + post]
    values = [layout.effective_weights(genomes)]
    if gap_junctions and circuit.n_electrical:
        a, b = np.asarray(circuit.electrical_a, np.int64), np.asarray(circuit.electrical_b, np.int64)
        g = layout.conductances(genomes)
        columns += [a * N + b, b * N + a, a * N + a, b * N + b]
        values += [g, g, -g, -g]
    columns, values = np.concatenate(columns), np.concatenate(values, axis=1)
    rows = np.repeat(np.arange(P)[:, None], len(columns), axis=1)
    with np.errstate(invalid="ignore"):
        np.add.at(matrices, (rows.ravel(), np.tile(columns, P)), values.ravel())
    return matrices.reshape(P, N, N)


def dense_relu_activity(matrices, input_current, input_index, output_index, steps):
    """Run P networks on B inputs each for ``steps`` steps from rest; the output cells' summed activity.

    Parameters
    ----------
    matrices : numpy.ndarray, shape (P, N, N)
        From :func:`dense_relu_matrices`.
    input_current : numpy.ndarray, shape (P, B, n_inputs)
        Held on the input cells for every step.
    input_index, output_index : array_like of int
        Cells driven and cells read.
    steps : int

    Returns
    -------
    numpy.ndarray, shape (P, B, n_outputs)
        ``Σ_t z_out(t)``; NaN or inf where a network diverged.
    """
    P, N = matrices.shape[0], matrices.shape[1]
    B = input_current.shape[1]
    current = np.zeros((P, B, N))
    current[:, :, np.asarray(input_index)] = input_current
    activity = np.zeros((P, B, N))
    total = np.zeros((P, B, len(output_index)))
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(steps)):
            activity = np.maximum(np.matmul(activity, matrices) + current, 0.0)
            total += activity[:, :, output_index]
    return total


class DenseReLUNetwork(ReLUNetwork):
    """The ``relu`` backend with a shared-weight open-loop path (registered as ``"dense"``).

    As a population (closed loop, :meth:`advance`) it is
    :class:`~neuroworm.backends.relu.ReLUNetwork`; for open-loop work its
    :meth:`open_loop_activity` shares each genome's weights across images.
    """

    @classmethod
    def open_loop_activity(cls, layout, genomes, input_current, steps, *, populations=None, gap_junctions=True,
                           **options):
        """Summed output activity of P networks on B inputs each, from rest, as dense products.

        Parameters
        ----------
        layout : GenomeLayout
            Of model ``"relu"``; the network's slices only.
        genomes : array_like, shape (P, D)
        input_current : numpy.ndarray, shape (P, B, n_inputs)
        steps : int
        populations : dict, optional
            Unused: no population is built.
        gap_junctions : bool
        **options
            Other backend options (ignored: ``dt``, ``seed``).

        Returns
        -------
        numpy.ndarray, shape (P, B, n_outputs)

        Raises
        ------
        ConfigError
            For a layout of a spiking model.
        """
        if not isinstance(getattr(layout, "model", None), ReLU):
            raise ConfigError(f"backend 'dense' computes ReLU networks only, not model "
                              f"{getattr(layout, 'model_name', layout)!r}")
        circuit = layout.circuit
        matrices = dense_relu_matrices(layout, genomes, gap_junctions=gap_junctions)
        return dense_relu_activity(matrices, input_current, circuit.input_index, circuit.output_index, steps)
