"""Building a Brian2 network: the runtime device or one of the standalone devices.

:func:`build_network` checks a request (through
:func:`neuroworm.backends.spiking.network_spec`) and returns a runtime
:class:`~neuroworm.brian.network.BrianNetwork` or a compiled
:class:`~neuroworm.brian.standalone.StandaloneNetwork`.
"""

from ..backends.spiking import network_spec
from ..errors import ConfigError
from .codegen import code_object_class
from .network import BrianNetwork
from .standalone import StandaloneNetwork

__all__ = ["DEVICES", "STANDALONE_DEVICES", "build_network"]

STANDALONE_DEVICES = ("cpp_standalone", "cuda_standalone")
DEVICES = ("runtime",) + STANDALONE_DEVICES


def build_network(circuit, model="alif", n_individuals=1, genomes=None, dt=1.0, stdp=None, device="runtime",
                  codegen="cython", gap_junctions=True, layout=None, seed=None, check_divergence=True,
                  directory=None, count_spikes=False):
    """Build P copies of ``circuit`` as one Brian2 network.

    Parameters
    ----------
    circuit : Circuit
        E.g. ``locomotion_circuit(load_connectome("cook2019_hermaphrodite"))``.
    model : {"lif", "alif", "izhikevich"} or NeuronModel
        Neuron model (:func:`neuroworm.neurons.get_model`).
    n_individuals : int
        Population size P.
    genomes : array_like (P, D) or (D,), optional
        Genomes of ``layout``; default the papers' initialisation
        (``layout.random(P, seed=seed)``).
    dt : float or Brian2 quantity
        Time step; a float is in ms. The papers use 1 ms.
    stdp : None, "stdp", "neuromodulated" or an STDP instance
        Plasticity of the chemical synapses.
    device : {"runtime", "cpp_standalone", "cuda_standalone"}
        Brian2 device. The standalone devices return a
        :class:`neuroworm.brian.standalone.StandaloneNetwork`: one compiled
        binary, rerun with new genomes and input drive through
        ``device.run(run_args=...)`` (open-loop work; see that module).
    codegen : {"cython", "numpy"}
        Code generation target of the runtime device, set per object (the
        global ``prefs.codegen.target`` is not changed). Cython code is
        compiled without ``-ffast-math`` and without FMA contraction, so that
        it computes exactly what the NumPy reference computes.
    gap_junctions : bool
        Simulate the circuit's gap junctions.
    layout : GenomeLayout, optional
        Default ``GenomeLayout(circuit, model)``; pass the evolution's layout
        when genomes also hold an encoder and decoder.
    seed : None, int or Generator
        For the default genomes.
    check_divergence : bool
        Runtime device: check every step for NaN/inf states and silence the
        individuals concerned (see :attr:`BrianNetwork.failed`). Standalone
        devices check the final state after each run instead.
    directory : str or pathlib.Path, optional
        Standalone devices: the folder of the generated project (default: a
        new temporary folder). Not allowed with the runtime device.
    count_spikes : bool
        Runtime device: add a per-neuron variable ``spike_count``, incremented
        by the reset of every spike and zeroed by :meth:`BrianNetwork.reset_state`,
        which a closed loop reads (and zeroes) once per environment step
        (:mod:`neuroworm.control`).

    Returns
    -------
    BrianNetwork

    Raises
    ------
    ConfigError, GenomeError
        Unknown model, device or target; dt ≤ 0; empty circuit; malformed
        genomes. Raised before any Brian2 object is made.

    Examples
    --------
    >>> net = build_network(circuit, "alif", n_individuals=8, seed=0)
    >>> monitor = brian2.SpikeMonitor(net.neurons)
    >>> net.network.add(monitor)
    >>> net.set_input_current(np.ones((8, len(circuit.inputs))))
    >>> net.network.run(100 * brian2.ms)
    """
    if device not in DEVICES:
        raise ConfigError(f"unknown Brian2 device {device!r}; known: {', '.join(DEVICES)}")
    if directory is not None and device == "runtime":
        raise ConfigError("directory is for the standalone devices; the runtime device writes no project")
    code_object = code_object_class(codegen) if device == "runtime" else None
    spec, genomes = network_spec(circuit, model, n_individuals, genomes, dt, stdp, gap_junctions, layout, seed)
    if device in STANDALONE_DEVICES:
        return StandaloneNetwork(spec, genomes, device=device, directory=directory)
    return BrianNetwork(spec, genomes, device=device, code_object_class=code_object,
                        check_divergence=check_divergence and device == "runtime", count_spikes=count_spikes)
