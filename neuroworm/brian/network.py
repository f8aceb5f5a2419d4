"""Population-batched Brian2 networks that compute the papers' discrete updates exactly.

:func:`build_network` makes one Brian2 ``Network`` holding P copies of a
circuit: one ``NeuronGroup`` of P·N neurons (neuron ``j`` of individual ``k``
is ``k·N + j``) and block-diagonal ``Synapses`` (copies never touch each
other) with per-copy weights. The neuron models are the discrete maps of
:mod:`neuroworm.neurons`, run so that Brian2 reproduces
:class:`neuroworm.backends.reference.ReferenceNetwork` spike for spike:

- state variables are parameters (``v : 1``); the update is
  ``neurons.run_regularly(model.update, when="groups")``, so Brian2 evaluates
  the paper's map itself (``v = gamma_v*v + ...``) rather than integrating an
  ODE; the constants (``gamma_v = exp(-dt/τ)`` ...) come from
  :meth:`NeuronModel.constants`, the same floats the reference uses;
- gap junctions are a summed variable, which Brian2 updates in the
  ``groups`` slot with order -1, i.e. just before the update, from the
  voltages at the start of the step;
- chemical synapses have zero delay and add ``w`` to ``I_chem`` in the
  ``synapses`` slot, after the thresholds; the next step's update consumes
  ``I_chem``: the one-step delay of eqs. 1 and 3;
- STDP's presynaptic pathway runs before its postsynaptic one
  (``order`` 0 and 1), spike traces are incremented in the reset and decayed
  in the update; neuromodulated weight changes run at ``when="end"``;
- a divergence check (runtime device) runs at ``when="end"`` after everything
  else: an individual with a NaN/inf state variable is marked failed, its
  state, weights and conductances are zeroed and its ``alive`` flag (which
  gates the threshold and multiplies the state) is set to 0.

The Brian2 objects have fixed names (``neurons``, ``neurons_update``,
``chemical``, ``electrical``, ``divergence_check``): Brian2 caches compiled
Cython modules by their code, which contains these names, so a network built
later (in this process or another) reuses the compiled modules instead of
compiling them again (≈20 s). Consequently two ``BrianNetwork`` objects cannot
be merged into one ``brian2.Network``.

The agreement with the reference is exact, bit for bit: the update strings
are written with the parentheses Brian2's SymPy pass produces (so both
backends evaluate the same operations in the same order), and the Cython
target is compiled without ``-ffast-math`` and without FMA contraction
(:mod:`neuroworm.brian.codegen`; with them, Izhikevich states drift by about
1e-5 within 300 steps). The tests compare spikes and every state variable
with ``assert_array_equal``, not to a tolerance.
"""

import numpy as np

from ..backends.protocol import NetworkPopulation
from ..backends.spiking import network_spec
from ..errors import ConfigError
from ..neurons import ChemicalSynapse, GapJunction
from .codegen import code_object_class

__all__ = ["BrianNetwork"]


def _connect(synapses, pre, post):
    if len(pre):
        synapses.connect(i=pre, j=post)
    else:  # a circuit without synapses of this kind: an empty, but connected, Synapses
        synapses.connect(False)


class BrianNetwork(NetworkPopulation):
    """P copies of a circuit in one Brian2 network (made by :func:`~neuroworm.brian.build_network`).

    Attributes
    ----------
    network : brian2.Network
        The explicit network; add monitors to it and call its ``run``.
    neurons : brian2.NeuronGroup
        P·N neurons. Variables: the model's state (``v``, ``u``, ``v_adp``),
        ``I_chem``, ``I_gap``, ``I_ext`` (external input, written by the
        caller), ``alive``, ``individual`` (0..P-1), ``neuron_index`` (0..N-1)
        and, with plasticity, ``trace_plus``, ``trace_minus`` (``modulator``);
        with ``count_spikes``, ``spike_count``.
    chemical : brian2.Synapses
        P·S chemical synapses, individual-major, variable ``w`` (signed).
    electrical : brian2.Synapses or None
        P·2E directed gap-junction synapses, variable ``g``.
    neuron_names : tuple of str
        Cell names of one copy, in neuron order.
    inputs, outputs : numpy.ndarray of int, shape (P, n_inputs) / (P, n_outputs)
        Flat neuron indices of every individual's input and output cells.
    failed : numpy.ndarray of bool, shape (P,)
        Individuals whose state became NaN/inf (silenced since).
    """

    _extra_neuron_equations = ()  # declarations a subclass adds to the NeuronGroup (standalone: input_column)

    def __init__(self, spec, genomes, device="runtime", code_object_class=None, check_divergence=True,
                 count_spikes=False):
        import brian2

        self.spec = spec
        self.model = spec.model
        self.plasticity = spec.plasticity
        self.layout = spec.layout
        self.device = device
        self.n_individuals = P = spec.n_individuals
        self.n_neurons = N = spec.n_neurons
        self.neuron_names = tuple(spec.circuit.names)
        self.inputs = spec.flat_neurons(spec.circuit.input_index)
        self.outputs = spec.flat_neurons(spec.circuit.output_index)
        self.dt = spec.dt_ms * brian2.ms
        self.failed = np.zeros(P, dtype=bool)
        self._name_position = {name: j for j, name in enumerate(self.neuron_names)}
        plasticity = spec.plasticity
        synapse_model = plasticity if plasticity is not None else ChemicalSynapse()
        common = {"dt": self.dt, "namespace": dict(spec.constants), "codeobj_class": code_object_class}

        equations = [self.model.equations, "alive : 1", "individual : integer (constant)",
                     "neuron_index : integer (constant)"]
        equations += [f"{name} : 1" for name in spec.per_neuron]
        equations += list(self._extra_neuron_equations)
        if plasticity is not None:
            equations.append(plasticity.neuron_equations)
        update = [self.model.update]
        if plasticity is not None:
            update.append(plasticity.neuron_update)
        update += [f"{variable} = alive*{variable}" for variable in self.model.state_variables]
        reset = [self.model.reset] + ([plasticity.neuron_reset] if plasticity is not None else [])
        if count_spikes:  # spikes per neuron since the caller last zeroed them (closed loop)
            equations.append("spike_count : 1")
            reset.append("spike_count = spike_count + 1")
        self.neurons = brian2.NeuronGroup(
            P * N, "\n".join(equations), threshold=f"({self.model.threshold}) and alive > 0",
            reset="\n".join(reset), name="neurons", **common,
        )
        self.neurons.individual = np.repeat(np.arange(P), N)
        self.neurons.neuron_index = np.tile(np.arange(N), P)
        self._update = self.neurons.run_regularly("\n".join(update), when="groups", order=0,
                                                  name="neurons_update")
        pre, post = spec.chemical_flat()
        self.chemical = brian2.Synapses(
            self.neurons, self.neurons, model=synapse_model.equations, on_pre=synapse_model.on_pre,
            on_post=synapse_model.on_post or None, name="chemical", **common,
        )
        _connect(self.chemical, pre, post)
        objects = [self.neurons, self._update, self.chemical]
        if plasticity is not None:
            self.chemical.pre.order = 0
            self.chemical.post.order = 1
            if synapse_model.end_of_step:
                objects.append(self.chemical.run_regularly(synapse_model.end_of_step, when="end", order=0,
                                                           name="chemical_modulation"))
        self.electrical = None
        if spec.gap_junctions:
            gap_pre, gap_post = spec.electrical_flat()
            self.electrical = brian2.Synapses(self.neurons, self.neurons, model=GapJunction.equations,
                                              name="electrical", **common)
            _connect(self.electrical, gap_pre, gap_post)
            objects.append(self.electrical)
        self._check = None
        if check_divergence:
            self._check = brian2.NetworkOperation(self._check_divergence, dt=self.dt, when="end", order=10,
                                                  name="divergence_check")
            objects.append(self._check)
        self.network = brian2.Network(*objects, name="neuroworm_network*")
        self.set_genomes(genomes)

    @classmethod
    def from_layout(cls, layout, n_individuals, genomes=None, *, dt=1.0, stdp=None, gap_junctions=True,
                    codegen="cython", seed=None):
        """The protocol's constructor: a runtime network for the closed loop.

        Built with ``count_spikes=True`` (the loop reads the outputs' spike
        counts) and without the per-step divergence check (the loop calls
        :meth:`check_divergence` once per environment step).
        """
        spec, genomes = network_spec(layout.circuit, layout.model, n_individuals, genomes, dt, stdp, gap_junctions,
                                     layout, seed)
        return cls(spec, genomes, code_object_class=code_object_class(codegen), check_divergence=False,
                   count_spikes=True)

    @property
    def n_inputs(self):
        """Number of input cells of one copy."""
        return self.inputs.shape[1]

    @property
    def n_outputs(self):
        """Number of output cells of one copy."""
        return self.outputs.shape[1]

    @property
    def dt_ms(self):
        """Time step in ms."""
        return self.spec.dt_ms

    def __repr__(self):
        return (f"<BrianNetwork {self.model.name} × {self.n_individuals} of {self.spec.circuit.name!r} "
                f"({self.n_neurons} neurons each), device {self.device!r}>")

    # --------------------------------------------------------------- indices
    def index(self, individual, name):
        """Flat index of cell ``name`` of individual ``individual`` in :attr:`neurons`."""
        if not 0 <= individual < self.n_individuals:
            raise ConfigError(f"individual must be in 0..{self.n_individuals - 1}, got {individual!r}")
        if name not in self._name_position:
            raise ConfigError(f"{name!r} is not a cell of circuit {self.spec.circuit.name!r}")
        return individual * self.n_neurons + self._name_position[name]

    # ------------------------------------------------------- variable access
    def _runtime(self):
        return self.device == "runtime"

    def _array(self, group, name):
        """The live NumPy array of a variable (runtime device)."""
        return group.variables[name].get_value()

    def _assign(self, group, name, values):
        if self._runtime():
            self._array(group, name)[:] = values
        else:
            setattr(group, name, values)

    def set_genomes(self, genomes):
        """Load a population's weights (and per-neuron parameters) without rebuilding.

        Also revives failed individuals and resets the state (:meth:`reset_state`).

        Parameters
        ----------
        genomes : array_like, shape (P, D) or (D,)
        """
        genomes = self.layout.validate(genomes)
        if genomes.ndim == 1:
            genomes = np.tile(genomes, (self.n_individuals, 1))
        arrays = self.spec.genome_arrays(genomes, validated=True)
        self._keep_per_neuron_values(arrays)
        self._assign(self.chemical, "w", arrays["w"])
        if self.plasticity is not None:
            self._assign(self.chemical, "dale_sign", arrays["sign"])
        if self.electrical is not None:
            self._assign(self.electrical, "g", arrays["g"])
        for name in self.spec.per_neuron:
            self._assign(self.neurons, name, arrays[name])
        self.failed[:] = False
        self.reset_state()

    def _keep_per_neuron_values(self, arrays):
        shape = (self.n_individuals, self.n_neurons)
        self._per_neuron_values = {name: arrays[name].reshape(shape) for name in self.spec.per_neuron}

    def _parameter(self, name):
        """A parameter's value: per neuron (P, N) from the neurons' variable, else the constant."""
        if name in self._per_neuron_values:
            return self._per_neuron_values[name]
        return self.spec.constants[name]

    def reset_state(self):
        """Put every neuron variable back to its initial value (weights are kept)."""
        shape = (self.n_individuals, self.n_neurons)
        for name, value in self.model.initial_values(self._parameter).items():
            self._assign(self.neurons, name, np.broadcast_to(value, shape).ravel() if np.ndim(value) else value)
        names = ["I_chem", "I_gap", "I_ext"]
        if self.plasticity is not None:
            names += ["trace_plus", "trace_minus"]
            if "modulator" in self.neurons.variables:
                names.append("modulator")
            if "eligibility" in self.chemical.variables:
                self._assign(self.chemical, "eligibility", 0.0)
        if "spike_count" in self.neurons.variables:
            names.append("spike_count")
        for name in names:
            self._assign(self.neurons, name, 0.0)
        self._assign(self.neurons, "alive", np.repeat(np.where(self.failed, 0.0, 1.0), self.n_neurons))

    def set_input_current(self, current):
        """Write the external input ``I_ext`` of every neuron for the coming step(s).

        Parameters
        ----------
        current : array_like, shape (P, n_inputs) or (P, N)
            Per individual, for its input cells (others get 0) or for every cell.
        """
        self._assign(self.neurons, "I_ext", self.spec.expand_input(current).ravel())

    def set_modulator(self, values):
        """Set the neuromodulator of neuromodulated STDP: scalar, (P,) or (P, N)."""
        if "modulator" not in self.neurons.variables:
            raise ConfigError("this network has no neuromodulated plasticity")
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = np.repeat(values, self.n_neurons)
        self._assign(self.neurons, "modulator", np.broadcast_to(values, (self.n_individuals * self.n_neurons,)))

    @property
    def weights(self):
        """Current signed chemical weights, shape (P, S)."""
        return np.asarray(self.chemical.w[:]).reshape(self.n_individuals, -1)

    def state(self, name):
        """Variable ``name`` of the neurons, shape (P, N)."""
        return np.asarray(getattr(self.neurons, name + "_")[:]).reshape(self.n_individuals, self.n_neurons)

    # ------------------------------------------------------------ divergence
    def check_divergence(self):
        """Fail, now, every individual with a NaN/inf state variable or synaptic input.

        What the per-step check of ``check_divergence=True`` does; a closed
        loop built without it calls this once per environment step instead.
        """
        self._check_divergence()

    def _check_divergence(self):
        finite = np.ones(self.n_individuals, dtype=bool)
        for variable in self.spec.checked_variables:
            finite &= np.isfinite(self._array(self.neurons, variable)).reshape(self.n_individuals, -1).all(axis=1)
        newly = ~finite & ~self.failed
        if newly.any():
            self.fail(np.flatnonzero(newly))

    def fail(self, individuals):
        """Mark individuals failed: zero their state, weights and conductances; stop their spikes."""
        individuals = np.atleast_1d(np.asarray(individuals, dtype=np.int64))
        self.failed[individuals] = True
        N = self.n_neurons
        neuron_mask = np.zeros(self.n_individuals * N, dtype=bool)
        for k in individuals:
            neuron_mask[k * N:(k + 1) * N] = True
        names = list(self.model.state_variables) + ["I_chem", "I_gap", "I_ext", "alive"]
        if self.plasticity is not None:
            names += ["trace_plus", "trace_minus"]
        for name in names:
            self._array(self.neurons, name)[neuron_mask] = 0.0
        for group, variables in ((self.chemical, ("w", "eligibility")), (self.electrical, ("g",))):
            if group is None:
                continue
            per_individual = len(group) // self.n_individuals
            for name in variables:
                if name not in group.variables:
                    continue
                array = self._array(group, name)
                for k in individuals:
                    array[k * per_individual:(k + 1) * per_individual] = 0.0

    # -------------------------------------------------------------- running
    def advance(self, input_current, steps):
        """Run ``steps`` steps with ``input_current`` (P, n_inputs) held; spike counts of the outputs.

        Needs a network built with ``count_spikes=True`` (as
        :meth:`from_layout` builds it). One ``Network.run`` per call: a closed
        loop uses :meth:`run_episode`, which runs a whole episode at once.

        Returns
        -------
        numpy.ndarray, shape (P, n_outputs)
        """
        if "spike_count" not in self.neurons.variables or not self._runtime():
            raise ConfigError("advance() needs a runtime network built with count_spikes=True")
        self.set_input_current(input_current)
        spike_count = self._array(self.neurons, "spike_count")
        spike_count[:] = 0.0
        self.network.run(steps * self.dt, namespace={})
        counts = spike_count[self.outputs.ravel()].reshape(self.outputs.shape).copy()
        spike_count[:] = 0.0
        return counts

    def run_episode(self, rollout):
        """The closed loop: one ``run()`` per episode (see :func:`neuroworm.brian.closed_loop.run_episode`)."""
        from .closed_loop import run_episode

        run_episode(self, rollout)

    def run(self, drive, record=()):
        """Run one step per row of ``drive`` and return the spikes (runtime device).

        Adds a ``NetworkOperation`` (``when="start"``) that writes ``drive[t]``
        into ``I_ext``, a ``SpikeMonitor`` and, for ``record``, a
        ``StateMonitor``; all are removed afterwards.

        Parameters
        ----------
        drive : array_like, shape (T, P, n_inputs) or (T, P, N)
        record : sequence of str
            Neuron variables to record after each step.

        Returns
        -------
        spikes : numpy.ndarray of bool, shape (T, P, N)
        recorded : dict of str to numpy.ndarray (T, P, N)
            Only when ``record`` is not empty.
        """
        import brian2

        if not self._runtime():
            raise ConfigError("run(drive) needs the runtime device")
        drive = np.asarray(drive, dtype=float)
        T = drive.shape[0]
        full = np.stack([self.spec.expand_input(d).ravel() for d in drive]) if T else drive
        step = [0]
        external = self._array(self.neurons, "I_ext")

        def write_input():
            external[:] = full[step[0]]
            step[0] += 1

        feeder = brian2.NetworkOperation(write_input, dt=self.dt, when="start", order=-10, name="drive")
        spike_monitor = brian2.SpikeMonitor(self.neurons, name="spikes", codeobj_class=self.neurons.codeobj_class)
        extra = [feeder, spike_monitor]
        if record:
            state_monitor = brian2.StateMonitor(self.neurons, list(record), record=True, when="end", order=20,
                                                name="states", codeobj_class=self.neurons.codeobj_class)
            extra.append(state_monitor)
        self.network.add(*extra)
        start = round(float(self.network.t / self.dt))
        try:
            self.network.run(T * self.dt)
        finally:
            self.network.remove(*extra)
        spikes = np.zeros((T, self.n_individuals * self.n_neurons), dtype=bool)
        steps = np.round(np.array(spike_monitor.t_[:]) / float(self.dt)).astype(np.int64) - start
        spikes[steps, np.array(spike_monitor.i[:])] = True
        spikes = spikes.reshape(T, self.n_individuals, self.n_neurons)
        if not record:
            return spikes
        recorded = {name: np.array(getattr(state_monitor, name + "_")).T.reshape(T, self.n_individuals, self.n_neurons)
                    for name in record}
        return spikes, recorded
