"""NumPy reference of the spiking models, batched over a population.

:class:`ReferenceNetwork` computes the discrete updates documented in
:mod:`neuroworm.neurons` for P individuals at once: every state is an array
of shape (P, N) and the P copies of the circuit's synapses form one
block-diagonal ``scipy.sparse`` connectivity matrix (pre × post, holding
synapse indices into one flat weight vector of P·S weights). It executes the steps in the order of
Brian2's schedule, so the Brian2 network of :func:`neuroworm.brian.build_network`
gives the same spikes step for step:

1. ``I_gap = Σ g·(v_pre - v_post)`` from the state at the start of the step
   (Brian2: summed variable, ``groups`` slot, order -1);
2. the model's update, which consumes ``I_chem`` (``groups``); spike traces decay;
   every state variable is multiplied by ``alive`` (1, or 0 for a failed individual);
3. ``s = threshold and alive`` (``thresholds``);
4. ``I_chem = W·s`` with the weights before plasticity; STDP's presynaptic,
   then postsynaptic, updates (``synapses``);
5. reset; spike traces += 1 (``resets``);
6. the rule's end-of-step change (eligibility × modulator); divergence check
   (``end``): an individual with a NaN or infinite state variable or synaptic
   input is failed.

The model's and the rule's updates are theirs (``numpy_update``,
``numpy_threshold``, ``numpy_reset``, ``numpy_on_pre``, ...; see
:mod:`neuroworm.neurons`): this backend does not know which model it runs.
"""

import numpy as np
import scipy.sparse

from .protocol import NetworkPopulation
from .spiking import network_spec

__all__ = ["ReferenceNetwork"]


class ReferenceNetwork(NetworkPopulation):
    """P copies of a circuit as NumPy arrays, stepped with the papers' discrete updates.

    Parameters
    ----------
    circuit : Circuit
    model : {"lif", "alif", "izhikevich"} or NeuronModel
    n_individuals : int
        Population size P.
    genomes : array_like (P, D) or (D,), optional
        Genomes of ``layout`` (default: the papers' initialisation).
    dt : float or Brian2 quantity
        Time step, ms when a float (1 ms in the papers).
    stdp : None, a name of :data:`neuroworm.neurons.PLASTICITY_RULES` or an STDP instance
    gap_junctions : bool
        Simulate the circuit's gap junctions.
    layout : GenomeLayout, optional
        Default ``GenomeLayout(circuit, model)``.
    seed : None, int or Generator
        For the default genomes.

    Attributes
    ----------
    state : dict of str to numpy.ndarray
        Every per-neuron variable, shape (P, N): the model's state variables
        (``v``, ``u``, ``v_adp``), ``I_chem``, ``I_gap``, ``I_ext``, ``alive``
        and, with plasticity, ``trace_plus``, ``trace_minus`` (and ``modulator``).
    weights : numpy.ndarray, shape (P, S)
        Current signed chemical weights.
    connectivity : scipy.sparse.csr_array, shape (P·N, P·N)
        Block-diagonal pre × post matrix whose entries are 1 + the synapse
        index (individual-major, ``k·S + m``).
    failed : numpy.ndarray of bool, shape (P,)
        Individuals whose state became NaN or infinite; they are silenced.

    Raises
    ------
    ConfigError, GenomeError
        As :func:`neuroworm.backends.spiking.network_spec`.

    Examples
    --------
    >>> net = ReferenceNetwork(circuit, "alif", n_individuals=8, seed=0)
    >>> spikes = net.run(np.ones((1000, 8, len(circuit.inputs))))   # (1000, 8, N) bool
    """

    def __init__(self, circuit, model="alif", n_individuals=1, genomes=None, dt=1.0, stdp=None,
                 gap_junctions=True, layout=None, seed=None):
        self.spec, genomes = network_spec(circuit, model, n_individuals, genomes, dt, stdp,
                                          gap_junctions, layout, seed)
        spec = self.spec
        self.model = spec.model
        self.plasticity = spec.plasticity
        self.layout = spec.layout
        self.n_individuals = spec.n_individuals
        self.n_neurons = spec.n_neurons
        self.dt_ms = spec.dt_ms
        self._constants = spec.constants
        P, N = self.n_individuals, self.n_neurons
        self._chemical_pre, self._chemical_post = spec.chemical_flat()
        self._gap_pre, self._gap_post = spec.electrical_flat()
        # Block-diagonal pre × post connectivity of the P copies; data = synapse index into
        # the flat weight vector, so plasticity changes weights without touching the matrix.
        n_synapses = len(self._chemical_pre)
        self.connectivity = scipy.sparse.csr_array(
            (np.arange(1, n_synapses + 1, dtype=np.int64), (self._chemical_pre, self._chemical_post)),
            shape=(P * N, P * N),
        )
        self.connectivity.sort_indices()
        self._synapse_of_entry = self.connectivity.data - 1  # 1-based above so no entry is an explicit zero
        self.state = {}
        self.failed = np.zeros(P, dtype=bool)
        self.set_genomes(genomes)
        self.step_count = 0

    @classmethod
    def from_layout(cls, layout, n_individuals, genomes=None, **options):
        """The protocol's constructor: ``ReferenceNetwork(layout.circuit, layout.model, ..., layout=layout)``.

        ``options``: ``dt``, ``stdp``, ``gap_junctions``, ``seed``.
        """
        return cls(layout.circuit, layout.model, n_individuals, genomes, layout=layout, **options)

    @property
    def n_inputs(self):
        """Number of input cells (width of the input current)."""
        return len(self.spec.circuit.input_index)

    @property
    def n_outputs(self):
        """Number of output cells (width of :meth:`advance`'s activity)."""
        return len(self.spec.circuit.output_index)

    # ------------------------------------------------------------- loading
    def set_genomes(self, genomes):
        """Load a new population's weights, revive every individual and reset the state."""
        arrays = self.spec.genome_arrays(genomes)
        self._w = arrays["w"].copy()
        self._sign = arrays["sign"]
        self._g = arrays["g"].copy()
        self._parameters = {name: arrays[name].reshape(self.n_individuals, self.n_neurons)
                            for name in self.spec.per_neuron}
        self.failed[:] = False
        self.reset_state()

    def reset_state(self):
        """Put every variable back to its initial value (weights are kept)."""
        P, N = self.n_individuals, self.n_neurons
        state = {name: np.array(np.broadcast_to(value, (P, N)), dtype=float)
                 for name, value in self.model.initial_values(self._parameter).items()}
        for name in ("I_chem", "I_gap", "I_ext"):
            state[name] = np.zeros((P, N))
        state["alive"] = np.where(self.failed[:, None], 0.0, np.ones((P, N)))
        if self.plasticity is not None:
            state["trace_plus"] = np.zeros((P, N))
            state["trace_minus"] = np.zeros((P, N))
            state["modulator"] = np.zeros((P, N))
            self._eligibility = np.zeros_like(self._w)
        self.state = state

    @property
    def weights(self):
        """Signed chemical weights, shape (P, S)."""
        return self._w.reshape(self.n_individuals, -1)

    @property
    def eligibility(self):
        """Eligibility traces of :class:`~neuroworm.neurons.EligibilitySTDP`, shape (P, S)."""
        return self._eligibility.reshape(self.n_individuals, -1)

    def set_modulator(self, values):
        """Set the neuromodulator: a scalar, (P,) per individual or (P, N) per neuron."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        self.state["modulator"][:] = values

    # ------------------------------------------------------------- stepping
    def _parameter(self, name):
        return self._parameters[name] if name in self._parameters else self._constants[name]

    def _update_neurons(self):
        s = self.state
        self.model.numpy_update(s, self._parameter)
        if self.plasticity is not None:
            s["trace_plus"] = self._constants["gamma_plus"] * s["trace_plus"]
            s["trace_minus"] = self._constants["gamma_minus"] * s["trace_minus"]
        for variable in self.model.state_variables:
            s[variable] = s["alive"] * s[variable]

    def _threshold(self):
        return self.model.numpy_threshold(self.state, self._parameter) & (self.state["alive"] > 0)

    def _reset(self, spikes):
        s = self.state
        self.model.numpy_reset(s, spikes, self._parameter)
        if self.plasticity is not None:
            s["trace_plus"] = s["trace_plus"] + spikes
            s["trace_minus"] = s["trace_minus"] + spikes

    def _transmit(self, spikes_flat):
        """``I_chem[post] = Σ w`` over the synapses of this step's spiking neurons.

        Event-driven like Brian2's ``on_pre`` (a silent synapse contributes
        nothing, even with an infinite weight), and summed in the same order:
        for each target, by increasing presynaptic index.
        """
        spiking = np.flatnonzero(spikes_flat)
        indptr = self.connectivity.indptr
        starts, stops = indptr[spiking], indptr[spiking + 1]
        lengths = stops - starts
        positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        synapses = self._synapse_of_entry[positions]
        return np.bincount(self.connectivity.indices[positions], weights=self._w[synapses],
                           minlength=len(spikes_flat))

    def _plasticity(self, spikes_flat):
        """The rule's presynaptic, then postsynaptic, pathway for the synapses of this step's spikes."""
        c, rule = self._constants, self.plasticity
        trace_plus = self.state["trace_plus"].ravel()
        trace_minus = self.state["trace_minus"].ravel()
        modulator = self.state["modulator"].ravel()
        synapses = self._synapse_arrays()
        pre_active = np.flatnonzero(spikes_flat[self._chemical_pre])
        if len(pre_active):
            post = self._chemical_post[pre_active]
            rule.numpy_on_pre(synapses, pre_active, trace_minus[post], modulator[post], c)
        post_active = np.flatnonzero(spikes_flat[self._chemical_post])
        if len(post_active):
            rule.numpy_on_post(synapses, post_active, trace_plus[self._chemical_pre[post_active]],
                               modulator[self._chemical_post[post_active]], c)

    def _end_of_step(self):
        modulator = self.state["modulator"].ravel()[self._chemical_post]
        self.plasticity.numpy_end_of_step(self._synapse_arrays(), modulator, self._constants)

    def _synapse_arrays(self):
        return {"w": self._w, "sign": self._sign, "eligibility": self._eligibility}

    def check_divergence(self):
        """Fail, now, every individual with a NaN/inf state variable or synaptic input.

        :meth:`step` does this after every step unless told not to; a closed
        loop calls it once per environment step instead (as the Brian2 one does).
        """
        self._check_divergence()

    def _check_divergence(self):
        finite = np.ones(self.n_individuals, dtype=bool)
        for variable in self.spec.checked_variables:
            finite &= np.isfinite(self.state[variable]).all(axis=1)
        newly = ~finite & ~self.failed
        if newly.any():
            self.fail(np.flatnonzero(newly))

    def fail(self, individuals):
        """Mark individuals failed: zero their state and weights and stop their spikes."""
        individuals = np.atleast_1d(np.asarray(individuals, dtype=np.int64))
        self.failed[individuals] = True
        for array in self.state.values():
            array[individuals] = 0.0
        S = len(self._w) // self.n_individuals
        E2 = len(self._g) // self.n_individuals
        for k in individuals:
            self._w[k * S:(k + 1) * S] = 0.0
            self._g[k * E2:(k + 1) * E2] = 0.0
            if self.plasticity is not None:
                self._eligibility[k * S:(k + 1) * S] = 0.0

    def step(self, input_current=None, check_divergence=True):
        """Advance one time step.

        Parameters
        ----------
        input_current : array_like, shape (P, n_inputs) or (P, N), optional
            External input ``I_ext`` for this step (kept from the previous
            step when omitted).
        check_divergence : bool
            Fail individuals with NaN/inf states at the end of the step
            (:meth:`check_divergence`); a caller that checks less often
            passes False.

        Returns
        -------
        numpy.ndarray of bool, shape (P, N)
            Spikes of this step.
        """
        with np.errstate(over="ignore", invalid="ignore"):  # diverging individuals are caught below
            return self._step(input_current, check_divergence)

    def _step(self, input_current, check_divergence=True):
        P, N = self.n_individuals, self.n_neurons
        s = self.state
        if input_current is not None:
            s["I_ext"] = self.spec.expand_input(input_current)
        if self.spec.gap_junctions:
            v = s["v"].ravel()
            current = self._g * (v[self._gap_pre] - v[self._gap_post])
            s["I_gap"] = np.bincount(self._gap_post, weights=current, minlength=P * N).reshape(P, N)
        self._update_neurons()
        spikes = self._threshold()
        spikes_flat = spikes.ravel()
        s["I_chem"] = self._transmit(spikes_flat).reshape(P, N)
        if self.plasticity is not None:
            self._plasticity(spikes_flat)
        self._reset(spikes)
        if self.plasticity is not None:
            self._end_of_step()
        if check_divergence:
            self._check_divergence()
        self.step_count += 1
        return spikes

    def advance(self, input_current, steps):
        """Run ``steps`` steps with ``input_current`` (P, n_inputs) held; spike counts of the outputs.

        Divergence is not checked here; the closed loop calls
        :meth:`check_divergence` once per environment step.

        Returns
        -------
        numpy.ndarray, shape (P, n_outputs)
        """
        outputs = self.spec.circuit.output_index
        counts = np.zeros((self.n_individuals, len(outputs)))
        current = self.spec.expand_input(input_current)
        for _ in range(steps):
            counts += self.step(current, check_divergence=False)[:, outputs]
        return counts

    def run_episode(self, rollout):
        """The closed loop, K :meth:`step` calls per environment step, recording spikes when asked."""
        K = rollout.neural_steps_per_env_step
        P, N = self.n_individuals, self.n_neurons
        inputs, outputs = self.spec.circuit.input_index, self.spec.circuit.output_index
        current = np.zeros((P, N))
        current[:, inputs] = rollout.begin()
        neural_step = 0
        while not rollout.finished:
            counts = np.zeros((P, len(outputs)))
            for _ in range(K):
                spikes = self.step(current, check_divergence=False)
                counts += spikes[:, outputs]
                rollout.record_spikes(neural_step, spikes)
                neural_step += 1
            current = np.zeros((P, N))
            current[:, inputs] = rollout.advance(counts)

    def run(self, drive, record=()):
        """Run ``T`` steps with a given input drive.

        Parameters
        ----------
        drive : array_like, shape (T, P, n_inputs) or (T, P, N)
            External input of each step.
        record : sequence of str
            State variables to record after each step (e.g. ``("v",)``).

        Returns
        -------
        spikes : numpy.ndarray of bool, shape (T, P, N)
        recorded : dict of str to numpy.ndarray (T, P, N)
            Only when ``record`` is not empty.
        """
        drive = np.asarray(drive, dtype=float)
        T = drive.shape[0]
        spikes = np.zeros((T, self.n_individuals, self.n_neurons), dtype=bool)
        recorded = {name: np.zeros((T, self.n_individuals, self.n_neurons)) for name in record}
        for t in range(T):
            spikes[t] = self.step(drive[t])
            for name in record:
                recorded[name][t] = self.state[name]
        return (spikes, recorded) if record else spikes
