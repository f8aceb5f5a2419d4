"""What every backend is: a population of P networks stepped together.

A backend is one class (a subclass of :class:`NetworkPopulation`) in one
module, plus one line in :mod:`neuroworm.backends.registry`. The closed loop
(:mod:`neuroworm.control`), the evolution driver and the experiments talk to
a backend only through this protocol; nothing outside a backend's own module
compares backend names.

The protocol, for a population of P individuals of one network description
(a :class:`~neuroworm.genome.GenomeLayout`, which says what a genome vector
decodes into: the circuit or layers, the neuron model, the input and output
cells)::

    population = Backend.from_layout(layout, P, genomes, **options)
    population.set_genomes(genomes)            # (P, D); revives everyone, resets the state
    activity = population.advance(current, K)  # current (P, n_inputs) held for K steps
                                               # -> (P, n_outputs), summed over the K steps
    population.check_divergence()              # fail individuals whose state is NaN/inf
    population.failed                          # bool (P,)
    population.fail(individuals)               # silence them from now on
    population.reset_state()                   # initial state, same weights
    population.run_episode(rollout)            # the closed loop (default: advance per env step)
    Backend.open_loop_activity(layout, genomes, current, T)   # the open loop: P genomes x B inputs
                                               # (default: one population of P·B networks)

"Activity" is what the decoder reads: spike counts of the output cells for
spiking networks, the summed outputs for rate (ReLU, ENU, ...) networks.
"""

import numpy as np

__all__ = ["NetworkPopulation"]


class NetworkPopulation:
    """Base class of backends: P networks of one description, stepped together.

    A subclass implements :meth:`set_genomes`, :meth:`reset_state`,
    :meth:`advance`, :meth:`fail` and :meth:`check_divergence`, keeps
    :attr:`failed` up to date, and sets :attr:`n_individuals`,
    :attr:`n_inputs` and :attr:`n_outputs`. It may override
    :meth:`from_layout` (when its constructor takes other arguments),
    :meth:`run_episode` (when it can run a whole episode faster than one
    :meth:`advance` per environment step, as Brian2 does) and
    :meth:`open_loop_activity` (when it can show B inputs to each of P
    networks without building P·B of them, as the dense ReLU backend does).

    Parameters
    ----------
    layout : GenomeLayout
        The network description.
    n_individuals : int
        Population size P.
    genomes : array_like (P, D), optional
        Initial genomes (default: ``layout.random(P)`` in most backends).
    **options
        Backend-specific keywords (``dt``, ``gap_junctions``, ``codegen``,
        ...), passed through from ``ClosedLoopEvaluator(...,
        backend_options=...)``.

    Attributes
    ----------
    n_individuals : int
        P.
    n_inputs, n_outputs : int
        Width of the input current and of the activity :meth:`advance` returns.
    failed : numpy.ndarray of bool, shape (P,)
        Individuals whose network diverged or was failed by the caller.
    dt_ms : float
        Duration of one step in ms (1.0 unless the backend says otherwise).
    """

    dt_ms = 1.0

    @classmethod
    def from_layout(cls, layout, n_individuals, genomes=None, **options):
        """Build a population for a network description (the protocol's constructor)."""
        return cls(layout, n_individuals, genomes, **options)

    # ---------------------------------------------------------- genomes and state
    def set_genomes(self, genomes):
        """Load a population's genomes (P, D): revive every individual and reset the state."""
        raise NotImplementedError

    def reset_state(self):
        """Put every state variable back to its initial value; weights are kept."""
        raise NotImplementedError

    # ---------------------------------------------------------- stepping
    def advance(self, input_current, steps):
        """Run ``steps`` steps with ``input_current`` (P, n_inputs) held; return the summed activity.

        Returns
        -------
        numpy.ndarray, shape (P, n_outputs)
            Activity of the output units summed over the ``steps`` steps
            (spike counts for spiking networks). Failed individuals read 0.
        """
        raise NotImplementedError

    # ---------------------------------------------------------- failures
    def fail(self, individuals):
        """Mark individuals failed: from now on they are silent and read 0."""
        raise NotImplementedError

    def check_divergence(self):
        """Fail, now, every individual whose state is NaN or infinite."""
        raise NotImplementedError

    # ---------------------------------------------------------- open loop
    @classmethod
    def open_loop_activity(cls, layout, genomes, input_current, steps, *, populations=None, **options):
        """Summed output activity of P networks, each shown B inputs from rest (open-loop evaluation).

        Each of the P genomes looks at each of its B inputs on its own, from
        the initial state, for ``steps`` steps with the input held. The
        default builds one population of P·B networks (individual
        ``p·B + b`` is genome p on input b), loads the genomes, advances it
        once and reads failures as NaN. A backend that can share a genome's
        weights across its inputs overrides this
        (:class:`neuroworm.backends.dense.DenseReLUNetwork`).

        Parameters
        ----------
        layout : GenomeLayout
            The network description (the network slices only: no encoder or decoder).
        genomes : numpy.ndarray, shape (P, D)
        input_current : numpy.ndarray, shape (P, B, n_inputs)
            The current on the input cells, held for every step.
        steps : int
        populations : dict, optional
            Populations made by earlier calls, by size, reused when the size
            matches (a backend that is costly to build, such as Brian2, is
            built once per size); the default stores what it builds here,
            keeping at most two sizes.
        **options
            Backend options, passed to :meth:`from_layout`.

        Returns
        -------
        numpy.ndarray, shape (P, B, n_outputs)
            Activity summed over the steps; NaN for a network that diverged.
        """
        P, B = input_current.shape[0], input_current.shape[1]
        populations = {} if populations is None else populations
        size = P * B
        if size not in populations:
            if len(populations) >= 2:
                populations.clear()
            populations[size] = cls.from_layout(layout, size, np.zeros((size, layout.size)), **options)
        population = populations[size]
        population.set_genomes(np.repeat(genomes, B, axis=0))
        activity = population.advance(input_current.reshape(size, -1), steps)
        population.check_divergence()
        activity = np.asarray(activity, dtype=np.float64).reshape(P, B, -1)
        activity[np.asarray(population.failed).reshape(P, B)] = np.nan
        return activity

    # ---------------------------------------------------------- closed loop
    def run_episode(self, rollout):
        """Drive one closed-loop episode (:class:`neuroworm.control.Rollout`).

        The default advances K steps per environment step, where K is
        ``rollout.neural_steps_per_env_step``::

            current = rollout.begin()
            while not rollout.finished:
                current = rollout.advance(self.advance(current, K))

        A backend overrides this to run the episode its own way (Brian2:
        one ``run()`` per episode); :class:`~neuroworm.control.Rollout` keeps
        the books either way. Spikes for a :class:`RolloutRecord` are
        recorded only by backends that call ``rollout.record_spikes``.
        """
        steps = rollout.neural_steps_per_env_step
        current = rollout.begin()
        while not rollout.finished:
            activity = np.asarray(self.advance(current, steps), dtype=np.float64)
            current = rollout.advance(activity)
