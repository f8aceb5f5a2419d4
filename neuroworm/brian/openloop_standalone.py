"""Compile once, run many times: a Brian2 standalone binary behind the backend protocol.

Open-loop evaluation presents every image for the same T steps with a
constant input, so the whole presentation is one run of a fixed length:
exactly what a Brian2 standalone project
(:class:`neuroworm.brian.standalone.StandaloneNetwork`) compiles once and
reruns with new values through ``device.run(run_args=...)``.
:class:`StandalonePopulation` wraps it in the protocol of
:class:`~neuroworm.backends.NetworkPopulation`, so that
:class:`~neuroworm.openloop.OpenLoopEvaluator` uses it by name
(``backend="brian2_standalone"``) through the protocol's default
:meth:`~neuroworm.backends.NetworkPopulation.open_loop_activity`::

    population.set_genomes(genomes)              # stored: passed as run_args at the next run
    counts = population.advance(current, T)      # first call: writes and compiles the C++ project
                                                 # later calls: rerun the binary with new genomes and input

The project is compiled for the T of the first :meth:`~StandalonePopulation.advance`;
:attr:`~StandalonePopulation.n_compilations` counts compilations (1 per
population: one per experiment, as long as P·chunk stays the same).
Every run starts from the model's initial state, so each :meth:`advance`
is a presentation from rest — what the evaluator does with every backend
(it calls :meth:`set_genomes`, which resets the state, before each chunk).
The binary computes the NumPy reference's spikes bit for bit (exact
compiler flags; see :mod:`neuroworm.brian.standalone`), which a test checks.
"""

import numpy as np

from ..backends.protocol import NetworkPopulation
from ..errors import ConfigError

__all__ = ["StandalonePopulation"]


class StandalonePopulation(NetworkPopulation):
    """P spiking networks in one compiled Brian2 standalone binary, rerun per :meth:`advance`.

    Parameters
    ----------
    layout : GenomeLayout
        A spiking model's layout (the network slices are what is loaded).
    n_individuals : int
    genomes : array_like, shape (P, D), optional
        Default ``layout.random(P, seed=seed)``.
    device : {"cpp_standalone", "cuda_standalone"}
    dt, gap_junctions, seed
        As :func:`neuroworm.build_network`.
    directory : path, optional
        Project folder (default: a new temporary folder).

    Attributes
    ----------
    network : StandaloneNetwork
    n_compilations : int
    """

    def __init__(self, layout, n_individuals=1, genomes=None, *, device="cpp_standalone", dt=1.0,
                 gap_junctions=True, seed=None, directory=None):
        from ..backends.spiking import network_spec
        from .standalone import StandaloneNetwork

        spec, genomes = network_spec(layout.circuit, layout.model, n_individuals, genomes, dt, None, gap_junctions,
                                     layout, seed)
        self.layout = layout
        self.network = StandaloneNetwork(spec, genomes, device=device, directory=directory)
        self.n_individuals = spec.n_individuals
        self.n_inputs = len(layout.circuit.input_index)
        self.n_outputs = len(layout.circuit.output_index)
        self.dt_ms = spec.dt_ms
        self._output_index = np.asarray(layout.circuit.output_index)
        self.failed = np.zeros(self.n_individuals, dtype=bool)

    @property
    def n_compilations(self):
        """How many times the project was compiled (0 before the first :meth:`advance`, then 1)."""
        return self.network.n_compilations

    def set_genomes(self, genomes):
        """Load genomes for the next runs (passed as ``run_args``), revive everyone."""
        self.network.set_genomes(genomes)
        self.failed[:] = False

    def reset_state(self):
        """Nothing to do: every run of the binary starts from the initial state."""

    def advance(self, input_current, steps):
        """One run of the binary: ``steps`` steps with ``input_current`` held; output spike counts.

        Raises
        ------
        ConfigError
            If ``steps`` differs from the steps the project was compiled for.
        """
        current = np.asarray(input_current, dtype=float)
        if current.shape != (self.n_individuals, self.n_inputs):
            raise ConfigError(f"input_current must have shape {(self.n_individuals, self.n_inputs)}, "
                              f"got {current.shape}")
        drive = np.broadcast_to(current, (int(steps),) + current.shape)
        spikes = self.network.run(drive)
        self.failed |= self.network.failed
        counts = spikes[:, :, self._output_index].sum(axis=0).astype(np.float64)
        counts[self.failed] = 0.0
        return counts

    def fail(self, individuals):
        """Mark individuals failed (they read 0 until the next :meth:`set_genomes`)."""
        self.failed[np.atleast_1d(np.asarray(individuals, dtype=np.int64))] = True

    def check_divergence(self):
        """Divergence is read from the final state after each run (see :meth:`advance`)."""

    def delete_project(self):
        """Remove the compiled project's folder."""
        self.network.delete_project()
