"""Standalone Brian2 devices: one compiled binary, rerun with new genomes and new input.

Open-loop work (MNIST, mimic tasks, benchmarks) runs the same network for a
fixed number of steps on many populations. Brian2's standalone devices
generate a C++ (``cpp_standalone``) or CUDA (``cuda_standalone``, through
brian2cuda) project, compile it once, and rerun the binary with new values
of chosen variables: ``device.run(run_args={variable: values})``.
:class:`StandaloneNetwork` (made by ``build_network(..., device="cpp_standalone")``)
uses this for the genome-derived arrays (signed weights ``chemical.w``,
conductances ``electrical.g``, evolved per-neuron parameters), the
neuromodulator and the input drive::

    net = build_network(circuit, "alif", n_individuals=64, device="cpp_standalone")
    spikes = net.run(drive, genomes=first)     # writes and compiles the project, runs it
    spikes = net.run(drive2, genomes=second)   # reruns the same binary

What is compiled in and what is not
-----------------------------------
- The number of steps ``T`` and the recorded variables are fixed by the
  first :meth:`StandaloneNetwork.compile` (called by the first
  :meth:`~StandaloneNetwork.run`); a run with another ``T`` raises
  ``ConfigError``: build another network.
- The input drive is a 2-D ``brian2.TimedArray`` called ``input_drive`` of
  shape ``(T, P·n_inputs + 1)``: column ``k·n_inputs + m`` is input cell ``m``
  of individual ``k``, the last column is zero and feeds every other cell.
  Each step starts (``when="start"``) with
  ``I_ext = input_drive(t, input_column)``, which is what
  :meth:`BrianNetwork.run` writes from Python on the runtime device.
- Every run starts from the model's initial state (a binary run is a fresh
  process), so :meth:`~StandaloneNetwork.reset_state` has nothing to do.

Exact arithmetic
----------------
The project is compiled with the flags of the runtime Cython target of
:mod:`neuroworm.brian.network`: ``-ffast-math`` is dropped from
``prefs.codegen.cpp.extra_compile_args_gcc`` and ``-fno-fast-math
-ffp-contract=off`` are added (for CUDA, ``-use_fast_math`` is dropped from
nvcc's arguments and ``--fmad=false`` added), only while the project is
built; the preferences are restored afterwards. C++ spikes then equal those
of :class:`neuroworm.backends.reference.ReferenceNetwork` step for step. On
CUDA, spikes arriving at one neuron in the same step are summed by atomic
additions in an order the GPU chooses, so ``I_chem`` may differ from the
reference in its last bits, and a spike may differ where a voltage lands
within that rounding of its threshold.

Failed individuals
------------------
The runtime device checks every step for NaN/inf states and silences a
diverging individual at once (a Python ``network_operation``, which a
compiled binary cannot run). Here divergence can only be detected after the
run: an individual with a NaN or infinite state variable or synaptic input
at the end of the run is marked in :attr:`StandaloneNetwork.failed`. Its
spikes after the divergence are not those of the reference (which silenced
it) and should be discarded, e.g. by giving it the worst fitness.

Brian2's device is global state
-------------------------------
Brian2 keeps one active device (``brian2.get_device()``), which decides where
new objects put their data. This module never leaves a standalone device
active: it activates the network's device (``set_device(device,
build_on_run=False)``) only while it creates the network's objects, builds
the project or runs it, and restores the previous device afterwards
(``brian2.devices.device.reset_device()``), so runtime networks built later in
the same process are unaffected. Each C++ network has its own
``CPPStandaloneDevice`` instance, so several can live side by side; brian2cuda
refers to its one global device, so a new CUDA network reinitialises it
(``device.reinit()``) and the previous CUDA network can no longer run.
Variables of a standalone network stay readable from any active device:
Brian2 reads them from the results folder of its last run.
"""

import contextlib
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..validation import check_positive_int
from .codegen import EXACT_FLAGS
from .network import BrianNetwork

__all__ = ["StandaloneNetwork", "cuda_available", "exact_compiler_flags"]

_FAST_MATH_FLAGS = ("-ffast-math",)
_NVCC_FAST_MATH_FLAGS = ("-use_fast_math", "--use_fast_math")
_NVCCEXACT_FLAGS = ["--fmad=false"]
_NVCC_FLAGS_PREFERENCE = "devices.cuda_standalone.cuda_backend.extra_compile_args_nvcc"


def cuda_available():
    """Why the ``cuda_standalone`` device cannot build here, or ``None`` if it can.

    Returns
    -------
    str or None
        A reason (brian2cuda not importable, ``nvcc`` not on PATH), or
        ``None``. Whether a GPU is present to *run* the binary is a separate
        question (``nvidia-smi``).
    """
    try:
        import brian2cuda  # noqa: F401
    except ImportError as error:
        return f"brian2cuda is not importable ({error}); install neuroworm[cuda]"
    if shutil.which("nvcc") is None:
        return "nvcc (the CUDA compiler) is not on PATH"
    return None


@contextlib.contextmanager
def exact_compiler_flags():
    """Build standalone projects with IEEE-exact arithmetic, restoring Brian2's preferences after.

    Within the block, GCC's flags (``prefs.codegen.cpp.extra_compile_args_gcc``
    and, when a user set it, ``prefs.codegen.cpp.extra_compile_args``) lose
    ``-ffast-math`` and gain ``-fno-fast-math -ffp-contract=off``, as the
    runtime Cython target of :mod:`neuroworm.brian.network` does; when
    brian2cuda is loaded, nvcc's flags lose ``-use_fast_math`` and gain
    ``--fmad=false`` (no fused multiply-add).
    """
    from brian2 import prefs

    saved = {}

    def replace(name, removed, added):
        if name not in prefs or prefs[name] is None:
            return
        saved[name] = list(prefs[name])
        prefs[name] = [flag for flag in prefs[name] if flag not in removed] + added

    try:
        replace("codegen.cpp.extra_compile_args_gcc", _FAST_MATH_FLAGS, EXACT_FLAGS)
        replace("codegen.cpp.extra_compile_args", _FAST_MATH_FLAGS, EXACT_FLAGS)
        replace(_NVCC_FLAGS_PREFERENCE, _NVCC_FAST_MATH_FLAGS, _NVCCEXACT_FLAGS)
        yield
    finally:
        for name, value in saved.items():
            prefs[name] = value


@contextlib.contextmanager
def _active(device):
    """Make ``device`` Brian2's active device for the block, then restore the previous one."""
    from brian2.devices.device import reset_device, set_device

    set_device(device, build_on_run=False)
    try:
        yield device
    finally:
        reset_device()


def _new_device(kind):
    """A Brian2 device object for ``kind``, ready to receive a network's objects."""
    if kind == "cpp_standalone":
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

        return CPPStandaloneDevice()  # a network's own device: others stay valid
    reason = cuda_available()
    if reason is not None:
        raise ConfigError(f"device 'cuda_standalone' is not available: {reason}")
    from brian2.devices.device import all_devices

    device = all_devices["cuda_standalone"]  # registered by importing brian2cuda
    device.reinit()
    return device


class StandaloneNetwork(BrianNetwork):
    """P copies of a circuit compiled once by a Brian2 standalone device (made by :func:`build_network`).

    The Brian2 objects (:attr:`neurons`, :attr:`chemical`, :attr:`electrical`,
    :attr:`network`) are those of :class:`BrianNetwork`, created on this
    network's own device; users may add monitors to :attr:`network` before the
    project is compiled. See the module documentation for what the compiled
    binary fixes and what each run may change.

    Parameters
    ----------
    spec : SpikingSpec
    genomes : numpy.ndarray, shape (P, D)
    device : {"cpp_standalone", "cuda_standalone"}
    directory : str or pathlib.Path, optional
        Project folder; default a new temporary folder, which is kept until
        :meth:`delete_project`.

    Attributes
    ----------
    directory : pathlib.Path
        The generated project (sources, binary ``main``, ``results/``).
    n_steps : int or None
        Steps per run, fixed by :meth:`compile` (None before).
    recorded_variables : tuple of str
        Neuron variables recorded after each step, fixed by :meth:`compile`.
    n_compilations : int
        How many times the project was compiled (1 after the first run).
    failed : numpy.ndarray of bool, shape (P,)
        Individuals whose final state of the last run is NaN/inf.
    """

    _extra_neuron_equations = ("input_column : integer (constant)",)

    def __init__(self, spec, genomes, device="cpp_standalone", directory=None):
        import brian2

        self.directory = Path(tempfile.mkdtemp(prefix=f"neuroworm_{device}_") if directory is None else directory)
        self.n_steps = None
        self.recorded_variables = ()
        self.n_compilations = 0
        self._deleted = False
        self._run_values = {}
        self._device = _new_device(device)
        with _active(self._device):
            super().__init__(spec, genomes, device=device, code_object_class=None, check_divergence=False)
            P, N = spec.n_individuals, spec.n_neurons
            n_inputs = len(spec.circuit.input_index)
            self.n_drive_columns = P * n_inputs + 1
            column = np.full((P, N), P * n_inputs, dtype=np.int64)  # the last column: always zero
            column[:, spec.circuit.input_index] = np.arange(P * n_inputs).reshape(P, n_inputs)
            self.neurons.input_column = column.ravel()
            self._drive_operation = self.neurons.run_regularly(
                "I_ext = input_drive(t, input_column)", when="start", order=-10, name="drive")
            self.network.add(self._drive_operation)
        self._brian2 = brian2

    def __repr__(self):
        state = f"compiled for {self.n_steps} steps" if self.n_steps else "not compiled yet"
        return (f"<StandaloneNetwork {self.model.name} × {self.n_individuals} of {self.spec.circuit.name!r} "
                f"({self.n_neurons} neurons each), device {self.device!r}, {state}, in {str(self.directory)!r}>")

    @property
    def compiled(self):
        """Whether the project has been compiled (its step count and records are then fixed)."""
        return self.n_steps is not None

    # ------------------------------------------------------- variable access
    def _assign(self, group, name, values):
        """Set a variable's initial value in the project (before compiling only)."""
        if self.compiled:
            raise ConfigError(f"{group.name}.{name} cannot be set after compiling; it is not a run argument")
        with _active(self._device):
            setattr(group, name, values)

    def _pass_to_runs(self, group, name, values):
        """Give a variable this value at the start of every run (a ``run_args`` entry)."""
        values = np.asarray(values, dtype=float)
        if not self.compiled:
            self._assign(group, name, values)
        self._run_values[(group.name, name)] = values

    def set_genomes(self, genomes):
        """Load a population's weights (and per-neuron parameters) for the next runs.

        The decoded arrays are passed to the binary through ``run_args`` at
        each :meth:`run` (no Brian2 code runs). As on the runtime device, the
        neuromodulator goes back to 0 and :attr:`failed` is cleared.

        Parameters
        ----------
        genomes : array_like, shape (P, D) or (D,)
        """
        genomes = self.layout.validate(genomes)
        if genomes.ndim == 1:
            genomes = np.tile(genomes, (self.n_individuals, 1))
        arrays = self.spec.genome_arrays(genomes, validated=True)
        self._keep_per_neuron_values(arrays)
        self._pass_to_runs(self.chemical, "w", arrays["w"])
        if self.electrical is not None:
            self._pass_to_runs(self.electrical, "g", arrays["g"])
        for name in self.spec.per_neuron:
            self._pass_to_runs(self.neurons, name, arrays[name])
        for name, value in self.model.initial_values(self._parameter).items():
            if np.ndim(value):  # an initial state that depends on per-neuron parameters (Izhikevich u = b·v)
                self._pass_to_runs(self.neurons, name, np.asarray(value, dtype=float).ravel())
        if "modulator" in self.neurons.variables:
            self._pass_to_runs(self.neurons, "modulator", 0.0)
        if not self.compiled:
            if self.plasticity is not None:
                self._assign(self.chemical, "dale_sign", arrays["sign"])
            self.reset_state()
        self.failed[:] = False

    def set_modulator(self, values):
        """Set the neuromodulator of neuromodulated STDP for the next runs: scalar, (P,) or (P, N)."""
        if "modulator" not in self.neurons.variables:
            raise ConfigError("this network has no neuromodulated plasticity")
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = np.repeat(values, self.n_neurons)
        self._pass_to_runs(self.neurons, "modulator",
                           np.broadcast_to(values, (self.n_individuals * self.n_neurons,)).copy())

    def reset_state(self):
        """Before compiling, set the initial state; afterwards nothing: every run starts from it."""
        if not self.compiled:
            super().reset_state()

    def set_input_current(self, current):
        """Not available: the input of a standalone run is its ``drive`` (see :meth:`run`)."""
        raise ConfigError("a standalone network takes its input as the drive of run(drive)")

    @property
    def weights(self):
        """Signed chemical weights at the end of the last run, shape (P, S)."""
        self._require_run()
        return super().weights

    def state(self, name):
        """Variable ``name`` of the neurons at the end of the last run, shape (P, N)."""
        self._require_run()
        return super().state(name)

    def _require_run(self):
        if not self._device.has_been_run:
            raise ConfigError("the standalone network has not been run yet: values exist only after run()")

    def fail(self, individuals):
        """Mark individuals failed (standalone: the flag only; the next run starts them afresh)."""
        self.failed[np.atleast_1d(np.asarray(individuals, dtype=np.int64))] = True

    # -------------------------------------------------------------- building
    def _drive_array(self, drive):
        """A drive (T, P, n_inputs) or (T, P, N) as the ``input_drive`` values (T, P·n_inputs + 1)."""
        drive = np.asarray(drive, dtype=float)
        P, N = self.n_individuals, self.n_neurons
        input_index = self.spec.circuit.input_index
        n_inputs = len(input_index)
        if drive.ndim != 3 or drive.shape[1:] not in ((P, n_inputs), (P, N)) or drive.shape[0] < 1:
            raise ConfigError(f"drive must have shape (T, P, n_inputs) = (T, {P}, {n_inputs}) or (T, P, N) = "
                              f"(T, {P}, {N}) with T >= 1; got {drive.shape}")
        if drive.shape[2] == N and n_inputs != N:
            others = np.ones(N, dtype=bool)
            others[input_index] = False
            if np.any(drive[:, :, others] != 0):
                raise ConfigError("a standalone network drives the circuit's input cells only; "
                                  "the drive is non-zero on other cells")
            drive = drive[:, :, input_index]
        values = np.zeros((drive.shape[0], self.n_drive_columns))
        values[:, :-1] = drive.reshape(drive.shape[0], P * n_inputs)
        return values

    def compile(self, n_steps, record=()):
        """Write and compile the project for runs of ``n_steps`` steps (once per network).

        Adds a ``SpikeMonitor`` (``spikes``) and, for ``record``, a
        ``StateMonitor`` (``states``, ``when="end"``) to :attr:`network`,
        declares a run of ``n_steps·dt``, and builds the project in
        :attr:`directory` with exact compiler flags (:func:`exact_compiler_flags`).
        The binary is not run.

        Parameters
        ----------
        n_steps : int
            Steps of every run of this network.
        record : sequence of str
            Neuron variables to record after each step.

        Raises
        ------
        ConfigError
            If already compiled, or for a bad step count or variable.
        """
        brian2 = self._brian2
        if self.compiled:
            raise ConfigError(f"this network is already compiled for {self.n_steps} steps")
        n_steps = check_positive_int("n_steps", n_steps)
        record = tuple(record)
        unknown = [name for name in record if name not in self.neurons.variables]
        if unknown:
            raise ConfigError(f"cannot record {unknown}: not variables of the neurons")
        n_steps = int(n_steps)
        with _active(self._device), exact_compiler_flags():
            self._input_drive = brian2.TimedArray(np.zeros((n_steps, self.n_drive_columns)), dt=self.dt,
                                                  name="input_drive")
            self.neurons.namespace["input_drive"] = self._input_drive
            self._spike_monitor = brian2.SpikeMonitor(self.neurons, name="spikes")
            monitors = [self._spike_monitor]
            self._state_monitor = None
            if record:
                self._state_monitor = brian2.StateMonitor(self.neurons, list(record), record=True, when="end",
                                                          order=20, name="states")
                monitors.append(self._state_monitor)
            self.network.add(*monitors)
            self.network.run(n_steps * self.dt)
            self._device.build(directory=str(self.directory), compile=True, run=False, with_output=False)
        self.n_steps = n_steps
        self.recorded_variables = record
        self.n_compilations += 1

    # -------------------------------------------------------------- running
    def run(self, drive, record=(), genomes=None):
        """Run the compiled binary once: ``T`` steps with this drive (and these genomes).

        The first call compiles the project for ``T = len(drive)`` steps and
        the variables in ``record``; later calls rerun the same binary, with
        new values passed through ``device.run(run_args=...)``.

        Parameters
        ----------
        drive : array_like, shape (T, P, n_inputs) or (T, P, N)
            External input of each step (on input cells only).
        record : sequence of str
            Neuron variables to record after each step; after the first call,
            a subset of :attr:`recorded_variables`.
        genomes : array_like, shape (P, D) or (D,), optional
            Load these genomes first (:meth:`set_genomes`).

        Returns
        -------
        spikes : numpy.ndarray of bool, shape (T, P, N)
        recorded : dict of str to numpy.ndarray (T, P, N)
            Only when ``record`` is not empty.

        Raises
        ------
        ConfigError
            For a drive of the wrong shape or length, or a variable that was
            not compiled in.
        """
        if self._deleted:
            raise ConfigError(f"the project of this network was deleted ({self.directory})")
        values = self._drive_array(drive)
        T = values.shape[0]
        record = tuple(record)
        if genomes is not None:
            self.set_genomes(genomes)
        if not self.compiled:
            self.compile(T, record)
        if T != self.n_steps:
            raise ConfigError(f"this network was compiled for {self.n_steps} steps; got a drive of {T} steps "
                              f"(build another network for another length)")
        missing = [name for name in record if name not in self.recorded_variables]
        if missing:
            raise ConfigError(f"{missing} were not recorded when the project was compiled "
                              f"(recorded: {list(self.recorded_variables)})")
        groups = {"neurons": self.neurons, "chemical": self.chemical, "electrical": self.electrical}
        run_args = {self._input_drive: values}
        for (group, name), value in self._run_values.items():
            run_args[getattr(groups[group], name)] = value
        try:
            with _active(self._device):
                self._device.run(directory=str(self.directory), with_output=False, run_args=run_args)
        finally:
            self._delete_run_arguments()
        self._mark_failed()
        return self._results(T, record)

    def _delete_run_arguments(self):
        """Remove the files that passed this run's arrays, so that many runs do not fill the disk."""
        folder = self.directory / "static_arrays"
        for name in self._device.run_args_arrays:
            for path in (folder / name, folder / (name + ".lock")):
                path.unlink(missing_ok=True)

    def _mark_failed(self):
        finite = np.ones(self.n_individuals, dtype=bool)
        for variable in self.spec.checked_variables:
            finite &= np.isfinite(self.state(variable)).all(axis=1)
        self.failed[:] = ~finite

    def _results(self, T, record):
        dt = float(self.dt)
        spikes = np.zeros((T, self.n_individuals * self.n_neurons), dtype=bool)
        steps = np.round(np.asarray(self._spike_monitor.t_[:]) / dt).astype(np.int64)
        spikes[steps, np.asarray(self._spike_monitor.i[:])] = True
        spikes = spikes.reshape(T, self.n_individuals, self.n_neurons)
        if not record:
            return spikes
        recorded = {name: np.asarray(getattr(self._state_monitor, name + "_")).T.reshape(
            T, self.n_individuals, self.n_neurons) for name in record}
        return spikes, recorded

    def delete_project(self):
        """Remove the project folder (sources, binary, results); the network cannot run afterwards."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self._deleted = True

    @property
    def last_run_seconds(self):
        """Wall-clock seconds of the last binary run (Brian2's timer), or NaN before any."""
        seconds = self._device.timers.get("run_binary")
        return math.nan if seconds is None else float(seconds)
