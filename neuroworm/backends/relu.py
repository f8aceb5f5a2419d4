"""The artificial-neuron (ReLU) backend: the connectome as a recurrent rate network.

Schmidgall et al. (2023, "Artificial Neuron Model") replace the spiking
neurons of the locomotion circuit by the neuron of machine learning,
``z_j(t) = σ(w_{i,j} · z_i(t))`` with ``σ = ReLU``. Here, for P individuals
at once and the circuit's N cells, one step is::

    z(t+1) = ReLU( Σ_i w_ij z_i(t) + Σ_i g_ij (z_i(t) - z_j(t)) + I_j(t) )

with ``w_ij = s_ij · exp(w_log_ij)`` the chemical synapse from i to j (Dale's
law through the log-weights: evolution changes magnitudes, never signs;
paper, "Connectome Representation"), ``g_ij = exp(g_log_ij)`` the optional
gap junctions (the paper has none; ``gap_junctions=False`` drops them) and
``I`` the encoded observation on the input cells (zero elsewhere). The
initial log-weights are −2.5 (excitatory) and −3.0 (inhibitory), A.3.3
(``[neurons.relu]`` of ``models/schmidgall2023.toml``;
:data:`neuroworm.genome.INITIAL_LOG_WEIGHTS`).

The recurrent and gap-junction terms are one sparse matrix per individual,
``A = Wᵀ + G - diag(G·1)``; the P matrices form one block-diagonal
``scipy.sparse`` CSR matrix, so a step of the population is one sparse
matrix-vector product of P·(S + 3E) + P·N entries. Each block's rows hold
the same entries in the same order as a single individual's matrix, so a
population gives bit for bit what each individual gives alone.

The decoder reads the *summed* activity of the output cells over the K
steps of an environment step (:meth:`ReLUNetwork.advance`), which
:class:`neuroworm.control.Controller` divides by K: the mean rate.

References
----------
Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as a
representation for the architecture of artificial neural networks.
"Artificial Neuron Model" and Appendix A.3.3.
"""

import numpy as np
import scipy.sparse

from ..errors import ConfigError, GenomeError
from ..neurons.models import ReLU
from ..validation import check_positive_int
from .protocol import NetworkPopulation

__all__ = ["ReLUNetwork"]


class ReLUNetwork(NetworkPopulation):
    """P copies of a circuit of ReLU neurons, stepped together in NumPy.

    Parameters
    ----------
    layout : GenomeLayout
        Made with model ``"relu"`` (or ``"artificial"``): the circuit, its
        inputs and outputs, and the genome slices.
    n_individuals : int
        Population size P.
    genomes : array_like (P, D) or (D,), optional
        Default ``layout.random(P, seed=seed)`` (the paper's initialisation).
    gap_junctions : bool
        Couple cells through the circuit's gap junctions, ``g·(z_pre - z_post)``.
    dt : float
        Duration of a step in ms (a label only: the update has no time constant).
    seed : None, int or Generator
        For the default genomes.

    Attributes
    ----------
    activity : numpy.ndarray, shape (P, N)
        ``z`` of every cell after the last step.
    failed : numpy.ndarray of bool, shape (P,)

    Raises
    ------
    ConfigError
        A layout of a spiking model, or ``n_individuals`` < 1.
    GenomeError
        Genomes that do not fit the layout.

    Examples
    --------
    >>> layout = GenomeLayout(circuit, "relu", n_observations=8, n_actions=2)
    >>> net = ReLUNetwork(layout, n_individuals=4, seed=0)
    >>> summed = net.advance(np.ones((4, len(circuit.inputs))), steps=4)   # (4, n_outputs)
    """

    def __init__(self, layout, n_individuals=1, genomes=None, *, gap_junctions=True, dt=1.0, seed=None):
        if not isinstance(getattr(layout, "model", None), ReLU):
            raise ConfigError(
                f"ReLUNetwork needs a GenomeLayout of model 'relu', got {getattr(layout, 'model_name', layout)!r}"
            )
        n_individuals = check_positive_int("n_individuals", n_individuals)
        if not dt > 0:
            raise ConfigError(f"dt must be positive, got {dt!r}")
        self.layout = layout
        self.circuit = circuit = layout.circuit
        self.n_individuals = P = int(n_individuals)
        self.n_neurons = N = circuit.n_neurons
        self.dt_ms = float(dt)
        self.gap_junctions = bool(gap_junctions)
        self.input_index = np.asarray(circuit.input_index, dtype=np.int64)
        self.output_index = np.asarray(circuit.output_index, dtype=np.int64)
        self.n_inputs, self.n_outputs = len(self.input_index), len(self.output_index)
        # Entries of one individual's matrix A (row = post, column = pre), in a fixed order:
        # chemical synapses, then gap junctions both ways, then the gap junctions' diagonal.
        pre, post = np.asarray(circuit.chemical_pre), np.asarray(circuit.chemical_post)
        rows, columns = [post], [pre]
        if self.gap_junctions and circuit.n_electrical:
            a, b = np.asarray(circuit.electrical_a), np.asarray(circuit.electrical_b)
            rows += [b, a, b, a]
            columns += [a, b, b, a]
        rows, columns = np.concatenate(rows).astype(np.int64), np.concatenate(columns).astype(np.int64)
        offsets = (np.arange(P, dtype=np.int64) * N)[:, None]
        # The block-diagonal CSR pattern, built once. Entries that land on the same position (a gap
        # junction beside a chemical synapse, the diagonal of a cell with several gap junctions) are
        # summed by `_assemble` (stored position x entry), in entry order within each individual.
        keys = ((rows + offsets) * (P * N) + (columns + offsets)).ravel()
        unique, position = np.unique(keys, return_inverse=True)
        unique_rows, unique_columns = np.divmod(unique, P * N)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(unique_rows, minlength=P * N))])
        self._matrix = scipy.sparse.csr_array((np.zeros(len(unique)), unique_columns, indptr), shape=(P * N, P * N))
        self._assemble = scipy.sparse.csr_array(
            (np.ones(len(keys)), (position, np.arange(len(keys)))), shape=(len(unique), len(keys)))
        self.failed = np.zeros(P, dtype=bool)
        self.activity = np.zeros((P, N))
        if genomes is None:
            genomes = layout.random(P, seed=seed)
        self.set_genomes(genomes)

    # ------------------------------------------------------------- genomes and state
    def _entries(self, genomes):
        """Values of every individual's matrix entries, (P, entries), in the construction order."""
        weights = self.layout.effective_weights(genomes)
        parts = [weights]
        if self.gap_junctions and self.circuit.n_electrical:
            g = self.layout.conductances(genomes)
            parts += [g, g, -g, -g]
        return np.concatenate(parts, axis=1)

    def set_genomes(self, genomes):
        """Load a population's weights (P, D), revive every individual and reset the activity."""
        genomes = self.layout.validate(genomes)
        if genomes.ndim == 1:
            genomes = genomes[None, :]
        if genomes.shape[0] != self.n_individuals:
            raise GenomeError(f"expected genomes for {self.n_individuals} individuals, got {genomes.shape[0]}")
        with np.errstate(invalid="ignore"):  # inf + (-inf) of overflowing weights: NaN, failed below
            self._matrix.data = self._assemble @ self._entries(genomes).ravel()
        self.failed[:] = False
        self.reset_state()

    def reset_state(self):
        """Every cell's activity back to 0 (weights are kept)."""
        self.activity = np.zeros((self.n_individuals, self.n_neurons))

    # ------------------------------------------------------------- stepping
    def _expand(self, input_current):
        current = np.asarray(input_current, dtype=float)
        P, N = self.n_individuals, self.n_neurons
        if current.shape == (P, N):
            return current
        if current.shape != (P, self.n_inputs):
            raise ConfigError(
                f"input_current must have shape (P, n_inputs) = {(P, self.n_inputs)} or (P, N) = {(P, N)}, "
                f"got {current.shape}"
            )
        full = np.zeros((P, N))
        full[:, self.input_index] = current
        return full

    def step(self, input_current=None):
        """One step, ``z ← ReLU(A z + I)``; returns the new activity (P, N).

        Parameters
        ----------
        input_current : array_like (P, n_inputs) or (P, N), optional
            ``I`` of this step (zero when omitted). Failed individuals get none.
        """
        P, N = self.n_individuals, self.n_neurons
        current = np.zeros((P, N)) if input_current is None else self._expand(input_current)
        with np.errstate(over="ignore", invalid="ignore"):
            drive = (self._matrix @ self.activity.ravel()).reshape(P, N) + current
            self.activity = np.maximum(drive, 0.0)
        # np.maximum keeps NaN, so a diverged individual is seen by check_divergence
        self.activity[self.failed] = 0.0
        return self.activity

    def advance(self, input_current, steps):
        """Run ``steps`` steps with ``input_current`` held; the output cells' activity summed over them.

        Returns
        -------
        numpy.ndarray, shape (P, n_outputs)
            ``Σ_k z_out(t+k)``; 0 for failed individuals, NaN/inf for one
            that diverged during these steps (until :meth:`check_divergence`).
        """
        current = self._expand(input_current)
        total = np.zeros((self.n_individuals, self.n_outputs))
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(int(steps)):
                total += self.step(current)[:, self.output_index]
        total[self.failed] = 0.0
        return total

    # ------------------------------------------------------------- failures
    def fail(self, individuals):
        """Fail individuals: zero their activity and every entry of their matrix."""
        individuals = np.atleast_1d(np.asarray(individuals, dtype=np.int64))
        self.failed[individuals] = True
        self.activity[individuals] = 0.0
        indptr, N = self._matrix.indptr, self.n_neurons
        for k in individuals:
            self._matrix.data[indptr[k * N]:indptr[(k + 1) * N]] = 0.0

    def check_divergence(self):
        """Fail every individual whose activity is NaN or infinite."""
        finite = np.isfinite(self.activity).all(axis=1)
        newly = ~finite & ~self.failed
        if newly.any():
            self.fail(np.flatnonzero(newly))
