"""Closed-loop evaluation: a population of networks controls a population of bodies.

:func:`evaluate` gives each genome's return on a gymnasium task (and, on
request, a :class:`~neuroworm.control.RolloutRecord` for plotting); the
:class:`ClosedLoopEvaluator` does the same generation after generation for
the evolution driver, reusing one network population and one batched
environment.

Observations are encoded into the currents of the network's input units and
the activity of its output units decoded into actions by a
:class:`~neuroworm.control.Controller` whose weights are the genome's
``encoder`` and ``decoder`` slices; each environment step runs K neural
steps. The network is any registered backend
(:mod:`neuroworm.backends.registry`), made by name and driven through the
protocol of :class:`~neuroworm.backends.NetworkPopulation`; the episode's
books are kept by :class:`~neuroworm.control.Rollout`.

Environments reset with one seed per individual (``reset(seed=[...])``, see
:func:`environment_seeds`). Individuals whose network diverges get the
return ``-inf``; episodes end after ``episode_steps`` environment steps, or
earlier for an individual whose environment terminates.

This module imports neither Brian2 nor MuJoCo: the backend and the
environments import what they need when they are made.
"""

import operator

import numpy as np

from ..backends.registry import get_backend, make_backend
from ..errors import ConfigError, TaskError
from ..limits import require_memory
from ..seeding import make_rng
from ..validation import check_positive_int
from .controller import Controller, check_neural_steps, default_neural_steps
from .rollout import Rollout, RolloutRecord

__all__ = ["ClosedLoopEvaluator", "RolloutRecord", "environment_seeds", "evaluate"]


# ---------------------------------------------------------------- environments
def _check_env_id(env_id):
    import gymnasium

    from .. import tasks  # noqa: F401  (registers neuroworm's environments)

    if not isinstance(env_id, str):
        raise TaskError(f"task must be a gymnasium environment id (str), got {env_id!r}")
    try:
        gymnasium.spec(env_id)
    except gymnasium.error.Error as error:
        raise TaskError(f"unknown environment id {env_id!r}: {error}") from None


def _time_limit(env_id):
    """(registered time limit or None, whether the id is one of neuroworm's batched environments)."""
    import gymnasium

    spec = gymnasium.spec(env_id)
    entry = spec.vector_entry_point
    return spec.max_episode_steps, isinstance(entry, str) and entry.startswith("neuroworm.")


def _make_envs(env_id, n_individuals, env_kwargs):
    from ..tasks import make_vec

    return make_vec(env_id, n_individuals, **env_kwargs)


def _space_sizes(envs, env_id):
    from gymnasium.spaces import Box

    observation_space, action_space = envs.single_observation_space, envs.single_action_space
    if not isinstance(action_space, Box) or len(action_space.shape) != 1:
        raise TaskError(f"{env_id}: the decoder needs a 1-D Box action space, got {action_space}")
    if not isinstance(observation_space, Box) or len(observation_space.shape) != 1:
        raise TaskError(f"{env_id}: the encoder needs a 1-D Box observation space, got {observation_space}")
    return observation_space.shape[0], action_space.shape[0]


def environment_seeds(seed, n_individuals):
    """One integer reset seed per individual.

    Parameters
    ----------
    seed : None, int, Generator or sequence of int
        A sequence gives each individual its own seed (the evolution
        driver's ``seeds``). Otherwise one seed is drawn from
        ``make_rng(seed)`` and every individual gets it: the population
        starts from the same initial state, so their returns compare
        genomes, not luck (common random numbers). ``None`` draws a fresh
        one.

    Returns
    -------
    list of int
    """
    if seed is not None and not isinstance(seed, (int, np.integer, np.random.Generator)):
        seeds = [operator.index(s) for s in seed]
        if len(seeds) != n_individuals:
            raise ConfigError(f"got {len(seeds)} seeds for {n_individuals} individuals")
        return [int(s) for s in seeds]
    shared = int(make_rng(seed).integers(0, 2**31 - 1))
    return [shared] * n_individuals


# ---------------------------------------------------------------- the evaluator
def _resolve_model(model):
    """A spiking model's name becomes its :class:`~neuroworm.neurons.NeuronModel`; other names stay for the layout."""
    from ..neurons import NeuronModel, get_model, model_names

    if isinstance(model, NeuronModel):
        return model
    if str(model).lower() in model_names(spiking=True, aliases=True):
        return get_model(model)
    return str(model).lower()  # e.g. "relu": GenomeLayout knows it, or says which names it knows


class ClosedLoopEvaluator:
    """Evaluate populations of genomes in closed loop, generation after generation.

    Builds the network population (any registered backend) and the batched
    environments on the first call and reuses them: each call loads the
    genomes (``set_genomes``, which also resets the state), resets the
    environments with the given seeds and runs one episode. They are rebuilt
    only when the population size changes. The evaluator pickles without its
    built objects (for Dask or process maps) and rebuilds them lazily where
    it is unpickled; a parallel map that sends it to the same worker again
    keeps the worker's built copy (:mod:`neuroworm.evolve.parallel`).

    Parameters
    ----------
    circuit : Circuit or None
        E.g. ``locomotion_circuit(load_connectome("cook2019_hermaphrodite"))``;
        ``None`` for a network without a circuit (then give ``layout``, e.g.
        a :class:`~neuroworm.genome.LayeredLayout`; recording spikes needs a circuit).
    model : {"lif", "alif", "izhikevich"}, NeuronModel, or a name GenomeLayout knows (``"relu"``)
    task : str
        A gymnasium environment id with Box spaces: ``"Swimmer-v5"``,
        ``"neuroworm/Swimmer6-v0"``, ``"HalfCheetah-v5"`` (batched), or any
        registered id (a ``SyncVectorEnv``).
    backend : str
        A registered backend (:func:`neuroworm.backends.backend_names`:
        ``"brian2"``, ``"reference"``, ...).
    episode_steps : int
        Environment steps E per episode (1000 in the paper).
    neural_steps_per_env_step : int, optional
        K; default :data:`neuroworm.control.DEFAULT_NEURAL_STEPS_PER_ENV_STEP`.
    seed : None, int, Generator or sequence of int
        Environment seeds when a call gives none (see
        :func:`environment_seeds`; an int makes every call start the
        population from the same state).
    input_gain : float
        Encoder gain (:class:`neuroworm.control.Controller`).
    codegen : {"cython", "numpy"}, optional
        Brian2 code generation target (Brian2's default here: ``"cython"``).
    dt : float, optional
        Neural time step in ms (the spiking backends' default: 1 ms).
    gap_junctions : bool, optional
        Simulate the circuit's gap junctions (the spiking backends' default:
        True; the paper's experiment files turn them off).
    backend_options : dict, optional
        Further keywords for the backend's ``from_layout``; ``codegen``,
        ``dt`` and ``gap_junctions`` are added to them when given.
    env_kwargs : dict, optional
        Passed to :func:`neuroworm.tasks.make_vec` (e.g. ``num_threads``).
    layout : GenomeLayout, optional
        Default ``GenomeLayout(circuit, model, n_observations, n_actions)``
        from the environment's spaces; one given must match them.

    Raises
    ------
    TaskError
        Unknown environment id, non-Box spaces, a layout whose encoder or
        decoder does not fit the environment, infinite action bounds.
    ConfigError
        Unknown backend or model, bad episode length or K.

    Examples
    --------
    >>> evaluator = ClosedLoopEvaluator(circuit, "alif", "Swimmer-v5", episode_steps=1000, seed=0)
    >>> genomes = evaluator.layout.random(750, seed=1)
    >>> returns = evaluator(genomes)                          # (750,)
    >>> neuroworm.evolve.run(strategy, evaluator, ...)        # called once per generation
    """

    def __init__(self, circuit, model="alif", task="Swimmer-v5", backend="brian2", episode_steps=1000,
                 neural_steps_per_env_step=None, seed=None, *, input_gain=1.0, codegen=None, dt=None,
                 gap_junctions=None, env_kwargs=None, layout=None, backend_options=None):
        get_backend(backend)  # raises ConfigError naming the registered backends
        self.circuit = circuit
        self.model = _resolve_model(model)
        self.task = task
        self.backend = backend
        self.episode_steps = check_positive_int("episode_steps", episode_steps)
        if neural_steps_per_env_step is None:
            neural_steps_per_env_step = default_neural_steps(self.model)
        self.neural_steps_per_env_step = check_neural_steps(neural_steps_per_env_step)
        self.seed = seed
        self.input_gain = input_gain
        self.codegen = codegen
        self.dt = dt
        if gap_junctions is not None and not isinstance(gap_junctions, (bool, np.bool_)):
            raise ConfigError(f"gap_junctions must be true, false or None, got {gap_junctions!r}")  # "no" is truthy
        self.gap_junctions = gap_junctions
        self.env_kwargs = dict(env_kwargs or {})
        self.backend_options = dict(backend_options or {})
        for name, value in (("codegen", codegen), ("dt", dt), ("gap_junctions", gap_junctions)):
            if value is not None:
                self.backend_options[name] = value
        _check_env_id(task)
        self._honour_episode_steps()
        self._layout = layout
        self._action_bounds = None
        self._envs = None
        self._network = None
        self._controller = None
        self._probe_spaces(layout)

    def _honour_episode_steps(self):
        """An episode longer than the task's time limit is simulated in full, or refused; never cut at the limit."""
        limit, batched = _time_limit(self.task)
        if limit is None or self.episode_steps <= limit or "max_episode_steps" in self.env_kwargs:
            return
        if not batched:
            raise ConfigError(f"episode_steps={self.episode_steps} is longer than {self.task}'s time limit of {limit} "
                              f"steps, where gymnasium would end every episode; use at most {limit}")
        self.env_kwargs["max_episode_steps"] = self.episode_steps  # neuroworm's bodies take the longer limit

    def _probe_spaces(self, layout):
        """Read the environment's spaces (from one environment) and make or check the layout."""
        from ..genome import GenomeLayout

        envs = _make_envs(self.task, 1, self.env_kwargs)
        try:
            n_observations, n_actions = _space_sizes(envs, self.task)
            space = envs.single_action_space
            self._action_bounds = (np.asarray(space.low, dtype=np.float64), np.asarray(space.high, dtype=np.float64))
        finally:
            envs.close()
        if layout is None:
            layout = GenomeLayout(self.circuit, self.model, n_observations=n_observations, n_actions=n_actions)
        elif getattr(layout, "circuit", None) is not self.circuit:
            raise ConfigError("layout was made for another circuit object")
        elif layout.n_observations != n_observations:
            raise TaskError(
                f"the genome's encoder reads {layout.n_observations} observations, but {self.task} gives "
                f"{n_observations} (encoder slice: n_observations x n_inputs)"
            )
        self._layout = layout
        # checks the decoder against the action space, finite bounds, K, gain
        self._controller = Controller(layout, *self._action_bounds, self.neural_steps_per_env_step, self.input_gain)

    def __repr__(self):
        model = getattr(self.model, "name", self.model)
        where = getattr(self.circuit, "name", self._layout.name)
        return (f"<ClosedLoopEvaluator {model} on {where!r}, {self.task}, backend "
                f"{self.backend!r}, {self.episode_steps} steps x K={self.neural_steps_per_env_step}>")

    @property
    def layout(self):
        """The :class:`GenomeLayout` of the genomes this evaluator takes."""
        return self._layout

    @property
    def controller(self):
        """The population's :class:`neuroworm.control.Controller`."""
        return self._controller

    @property
    def n_individuals(self):
        """Population size the built network and environments have (0 before the first call)."""
        return 0 if self._envs is None else self._envs.num_envs

    # ---------------------------------------------------------- pickling
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_envs"] = None
        state["_network"] = None
        state["_controller"] = None  # holds the last population's encoders and decoders
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._controller = Controller(self._layout, *self._action_bounds, self.neural_steps_per_env_step,
                                      self.input_gain)

    def close(self):
        """Release the environments and the network (they are rebuilt when needed)."""
        if self._envs is not None:
            self._envs.close()
        self._envs = None
        self._network = None

    # ---------------------------------------------------------- building
    def _build(self, genomes):
        P = genomes.shape[0]
        if self._envs is not None and self._envs.num_envs == P and self._network is not None:
            self._network.set_genomes(genomes)
            return
        self.close()
        self._network = make_backend(self.backend, self._layout, P, genomes, **self.backend_options)
        self._envs = _make_envs(self.task, P, self.env_kwargs)

    def _record_cells(self, record):
        if record is None or record is False:
            return None
        if self.circuit is None:
            raise ConfigError("recording spikes needs a circuit (cells to name); this evaluator has none")
        if record is True:
            return tuple(self.circuit.inputs) + tuple(self.circuit.outputs)
        if isinstance(record, str):
            record = [record]
        cells = tuple(record)
        self.circuit.index_of(cells)  # raises ConnectomeError naming unknown cells
        return cells

    # ---------------------------------------------------------- evaluating
    def rollout(self, genomes, seeds=None, record=None):
        """Run one episode for every genome; return the returns and, if asked, a record.

        Parameters
        ----------
        genomes : array_like, shape (P, D) or (D,)
        seeds : sequence of int, int, Generator or None
            Environment seeds (see :func:`environment_seeds`); default the
            evaluator's ``seed``.
        record : None, True or sequence of str
            ``True`` records spikes of the circuit's inputs and outputs,
            a sequence those of the named cells; ``None`` records nothing.

        Returns
        -------
        returns : numpy.ndarray, shape (P,)
            Sum of rewards; ``-inf`` for failed individuals.
        record : RolloutRecord
            Only when ``record`` is not None.

        Raises
        ------
        GenomeError
            A genome of the wrong length or with NaN/inf values.
        """
        genomes = self._layout.validate(genomes)
        if genomes.ndim == 1:
            genomes = genomes[None, :]
        P = genomes.shape[0]
        # measured 1.2 KiB per step of a recorded Swimmer-v5 episode; 64 KiB for a body and its network
        require_memory(P * ((2048 * self.episode_steps if record is not None else 0) + 65536),
                       f"{P} episodes of {self.episode_steps} steps", advice="evaluate fewer individuals at once")
        env_seeds = environment_seeds(self.seed if seeds is None else seeds, P)
        record_cells = self._record_cells(record)
        self._controller.load(genomes, validated=True)
        self._build(genomes)
        rollout = Rollout(self._controller, self._envs, self._network, env_seeds, self.episode_steps,
                           record_cells, env_id=self.task)
        self._network.run_episode(rollout)
        returns = rollout.final_returns()
        if record_cells is None:
            return returns
        return returns, rollout.record(self._network.dt_ms)

    def __call__(self, genomes, seeds=None):
        """Returns of the genomes (P,), ``-inf`` for failed individuals (see :meth:`rollout`)."""
        return self.rollout(genomes, seeds=seeds)


def evaluate(circuit, model, genomes, task, backend="brian2", episode_steps=1000, neural_steps_per_env_step=None,
             seed=None, record=None, **options):
    """Return of each genome on a task, the circuit controlling the body in closed loop.

    Parameters
    ----------
    circuit : Circuit
        Inputs receive the encoded observations, outputs are decoded into
        actions (:mod:`neuroworm.control`).
    model : {"lif", "alif", "izhikevich"}, NeuronModel, or a name GenomeLayout knows (``"relu"``)
    genomes : array_like, shape (P, D) or (D,)
        Genomes of ``GenomeLayout(circuit, model, n_observations, n_actions)``
        for the task's spaces (``ClosedLoopEvaluator(...).layout``).
    task : str
        Gymnasium environment id, e.g. ``"Swimmer-v5"``.
    backend : str
        A registered backend; ``"brian2"`` and ``"reference"`` give the same
        returns, bit for bit.
    episode_steps : int
        Environment steps per episode.
    neural_steps_per_env_step : int, optional
        K (default per model: :data:`neuroworm.control.DEFAULT_NEURAL_STEPS_PER_ENV_STEP`).
    seed : None, int, Generator or sequence of int
        Environment seeds (see :func:`environment_seeds`).
    record : None, True or sequence of str
        Also return a :class:`RolloutRecord` (spikes of the inputs and
        outputs for ``True``, of the named cells for a sequence).
    **options
        ``input_gain``, ``codegen``, ``dt``, ``gap_junctions``,
        ``env_kwargs``, ``layout``, ``backend_options`` (see :class:`ClosedLoopEvaluator`).

    Returns
    -------
    returns : numpy.ndarray, shape (P,)
        ``-inf`` for individuals whose network diverged.
    record : RolloutRecord
        Only when ``record`` is given.

    Raises
    ------
    TaskError
        Unknown environment id, spaces the encoder/decoder does not fit.
    GenomeError
        Genomes of the wrong length, or with NaN/inf values.
    ConfigError
        Unknown backend or model, bad ``episode_steps`` or K.

    Examples
    --------
    >>> circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    >>> layout = GenomeLayout(circuit, "alif", n_observations=8, n_actions=2)
    >>> returns, record = evaluate(circuit, "alif", layout.random(4, seed=0), "Swimmer-v5",
    ...                            episode_steps=200, seed=0, record=True)
    >>> neuroworm.plot.swim_trajectory(record)
    """
    evaluator = ClosedLoopEvaluator(circuit, model, task, backend=backend, episode_steps=episode_steps,
                                    neural_steps_per_env_step=neural_steps_per_env_step, seed=seed, **options)
    try:
        return evaluator.rollout(genomes, record=record)
    finally:
        evaluator.close()
