"""The evolution loop, DEAP's ``eaGenerateUpdate``: generate, evaluate, update; the rest are hooks.

:func:`run` drives any strategy with DEAP's ``generate``/``update`` shape
(:class:`~neuroworm.evolve.elite_ga.EliteGA`,
:class:`~neuroworm.evolve.openai_es.OpenAIES`,
:class:`~neuroworm.evolve.cma_es.CMAES`) against an evaluate function that
scores a whole matrix of genomes at once. One generation
(:func:`generation`) is::

    population = toolbox.generate()                      # (or the pending one of a resumed run)
    fitness = toolbox.evaluate_population(genomes, seeds)
    toolbox.update(population)
    logbook.record(...)                                  # statistics + every hook's columns

Everything else a run does is a :class:`Hook` called around that: held-out
scoring (:class:`HeldoutScoring`, logbook columns), checkpoints
(:class:`Checkpointing`), the logbook CSV (:class:`LogbookCSV`) and the
progress bar (:class:`Progress`). What a run carries from one generation to
the next is data, :class:`RunState`; a checkpoint is that state packed as
JSON fields and arrays (:mod:`neuroworm.evolve.checkpoint`).
"""

import copy
import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CheckpointError, ConfigError
from ..seeding import make_rng
from ..validation import check_integer
from .checkpoint import compare_fingerprints, generator_state, read_checkpoint, write_checkpoint
from .individual import Individual, assign_fitness, population_fitness, population_genomes
from .parallel import accepts_seeds, open_map
from .records import EvolutionResult, generation_record, new_hall_of_fame, new_logbook, update_hall_of_fame
from .toolbox import make_toolbox

__all__ = ["Checkpointing", "HeldoutScoring", "Hook", "LogbookCSV", "Progress", "RunState", "generation", "run"]

#: Version of the run state stored in checkpoints (2: JSON + arrays, no pickle).
STATE_VERSION = 2


def _describe_seed(seed):
    """A JSON-able identity of the run's seed, for the fingerprint."""
    if seed is None:
        return None  # fresh entropy: a resumed run takes its generators from the checkpoint
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        return int(seed)
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": str(seed.entropy), "spawn_key": list(seed.spawn_key)}
    if isinstance(seed, np.random.Generator):
        state = json.dumps(seed.bit_generator.state, sort_keys=True, default=str)
        return {"generator_state": hashlib.sha256(state.encode()).hexdigest()[:16]}
    raise ConfigError(f"seed must be None, an int, a SeedSequence or a numpy Generator, got {type(seed).__name__}")


def _individuals(genomes, fitness, valid=None):
    population = []
    for index, genome in enumerate(genomes):
        individual = Individual(genome)
        if valid is None or valid[index]:
            individual.fitness.values = (float(fitness[index]),)
        population.append(individual)
    return population


def _logbook_rows(state):
    """The logbook rows of a checkpoint: JSON objects of numbers, one per completed generation."""
    rows = state.sequence("logbook")
    for number, row in enumerate(rows):
        if not isinstance(row, dict) or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in row.values()
        ):
            state.invalid(f"logbook[{number}]", "a JSON object of numbers", row)
    return rows


def _unpack_state(state, strategy, hall_of_fame_size):
    """Validate a checkpoint and restore (strategy, evaluation rng, logbook, hall of fame, generation, ...)."""
    genome_size = strategy.genome_size
    completed = state.integer("generation", minimum=0)
    strategy.load_state(state.section("strategy"))
    evaluation_rng = state.generator("evaluation_rng")
    header = state.sequence("logbook_header")
    rows = _logbook_rows(state)
    if len(rows) != completed:
        state.invalid("logbook", f"{completed} rows, one per completed generation", f"{len(rows)} rows")
    logbook = new_logbook()
    logbook.header = [str(column) for column in header]
    for row in rows:
        logbook.record(**row)

    hall_genomes = state.array("hall_of_fame.genomes", shape=(None, genome_size), finite=True)
    hall_fitness = state.array("hall_of_fame.fitness", shape=(hall_genomes.shape[0],))
    if hall_genomes.shape[0] > hall_of_fame_size or np.any(np.isnan(hall_fitness)):
        state.invalid("hall_of_fame.fitness", f"at most {hall_of_fame_size} numbers", hall_fitness)
    hall_of_fame = new_hall_of_fame(hall_of_fame_size)
    hall_of_fame.items = _individuals(hall_genomes, hall_fitness)
    hall_of_fame.keys = [individual.fitness for individual in reversed(hall_of_fame.items)]

    population = None
    if state.boolean("has_population"):
        genomes = state.array("population.genomes", shape=(strategy.population_size, genome_size), finite=True)
        fitness = state.array("population.fitness", shape=(genomes.shape[0],))
        valid = state.array("population.valid", shape=(genomes.shape[0],), kind="b")
        if np.any(np.isnan(fitness[valid])):
            state.invalid("population.fitness", "a number or -inf for each evaluated individual", "NaN")
        population = _individuals(genomes, fitness, valid)
    pending = state.boolean("pending")
    seeds = None
    if state.boolean("has_pending_seeds"):
        seeds = state.array("pending_seeds", shape=(None,), kind="i")
    if pending and population is None:
        state.invalid("has_population", "true for a checkpoint of a pending generation", False)
    fingerprint = state.fields.get("fingerprint")
    if pending and seeds is None and isinstance(fingerprint, dict) and fingerprint.get("seeded_evaluation"):
        # without its seeds the pending generation would be evaluated on new ones: another result
        state.invalid("has_pending_seeds", "true for a pending generation of a seeded evaluation", False)
    if pending and seeds is not None:
        waiting = sum(not individual.fitness.valid for individual in population)
        if len(seeds) != waiting:
            state.invalid("pending_seeds", f"{waiting} seeds, one per individual awaiting evaluation", len(seeds))
    return strategy, evaluation_rng, logbook, hall_of_fame, completed, population, (
        (population, seeds) if pending else None
    )


@dataclass
class RunState:
    """Everything a run carries from one generation to the next.

    Attributes
    ----------
    strategy : Strategy
        Its own state (generator, mean, elites, ...) is its ``state()``.
    evaluation_rng : numpy.random.Generator
        Draws the evaluation seeds.
    logbook : deap.tools.Logbook
    hall_of_fame : deap.tools.HallOfFame
    completed : int
        Generations completed.
    population : list of Individual or None
        The last generation (or the one being evaluated).
    pending : tuple or None
        ``(population, seeds)`` generated but not yet evaluated and recorded.
    evaluating : bool
        True while the evaluate function runs (an interrupt then saves the pending generation).
    """

    strategy: object
    evaluation_rng: np.random.Generator
    logbook: object
    hall_of_fame: object
    completed: int = 0
    population: list | None = None
    pending: tuple | None = None
    evaluating: bool = False

    @classmethod
    def fresh(cls, strategy, seed, hall_of_fame_size):
        """A new run: the strategy's generator and the evaluation generator both spawned from ``seed``."""
        strategy_rng, evaluation_rng = make_rng(seed).spawn(2)
        strategy.rng = strategy_rng
        return cls(strategy, evaluation_rng, new_logbook(), new_hall_of_fame(hall_of_fame_size))

    @classmethod
    def unpack(cls, checkpoint, strategy, hall_of_fame_size):
        """Validate a checkpoint's fields and arrays and restore the run state (``strategy`` is loaded in place)."""
        strategy, evaluation_rng, logbook, hall_of_fame, completed, population, pending = _unpack_state(
            checkpoint, strategy, int(hall_of_fame_size)
        )
        return cls(strategy, evaluation_rng, logbook, hall_of_fame, completed, population, pending)

    def pack(self, fingerprint, *, pending=False):
        """The state as JSON-able fields and numeric arrays (see :mod:`.checkpoint`).

        With ``pending``, the generation being evaluated is stored with its
        seeds, to be evaluated again on resume.
        """
        strategy_fields, strategy_arrays = self.strategy.state()
        pending_seeds = self.pending[1] if pending else None
        hall_of_fame, population = self.hall_of_fame, self.population
        fields = {
            "fingerprint": fingerprint,
            "generation": self.completed,
            "strategy": strategy_fields,
            "evaluation_rng": generator_state(self.evaluation_rng),
            "has_population": population is not None,
            "pending": pending,
            "has_pending_seeds": pending_seeds is not None,
            "logbook_header": list(self.logbook.header or []),
            "logbook": [dict(row) for row in self.logbook],
        }
        arrays = {f"strategy.{name}": array for name, array in strategy_arrays.items()}
        if population is not None:
            arrays["population.genomes"] = population_genomes(population)
            arrays["population.fitness"] = population_fitness(population)
            arrays["population.valid"] = np.array([individual.fitness.valid for individual in population])
        if pending_seeds is not None:
            arrays["pending_seeds"] = np.asarray(pending_seeds, dtype=np.int64)
        arrays["hall_of_fame.genomes"] = (population_genomes(hall_of_fame) if len(hall_of_fame)
                                          else np.zeros((0, self.strategy.genome_size)))
        arrays["hall_of_fame.fitness"] = population_fitness(hall_of_fame) if len(hall_of_fame) else np.zeros(0)
        return fields, arrays

    def result(self, checkpoint=None):
        """The run so far as an :class:`~neuroworm.evolve.records.EvolutionResult`."""
        return EvolutionResult(strategy=self.strategy, population=self.population, logbook=self.logbook,
                               hall_of_fame=self.hall_of_fame, generations=self.completed, checkpoint=checkpoint)


class Hook:
    """Something a run does around each generation; every method may be left as it is here.

    A hook is told about the run through its :class:`RunState`: ``columns``
    adds logbook columns to the generation being recorded (``state.completed``
    is then still its index), ``after_generation`` sees the recorded row,
    ``interrupted`` runs when a ``KeyboardInterrupt`` stops the run, and
    ``close`` when the run ends, however it ends.
    """

    def columns(self, state):
        """Extra logbook columns of the generation being recorded."""
        return {}

    def after_generation(self, state, record):
        """Called once the generation's row ``record`` is in the logbook."""

    def interrupted(self, state):
        """Called when a ``KeyboardInterrupt`` stops the run."""

    def close(self):
        """Called when the run ends."""


class HeldoutScoring(Hook):
    """``heldout_mean``/``heldout_std`` of the strategy's product every ``every`` generations and after the last.

    The product is the search distribution's mean (``strategy.center_genome``)
    for an evolution strategy, else the hall of fame's best; other rows get NaN.

    Parameters
    ----------
    heldout : callable
        ``heldout(genome) -> returns`` on episodes no training step sees.
    every : int
    generations : int
        The run's last generation is always scored.
    """

    def __init__(self, heldout, every, generations):
        self.heldout, self.every, self.generations = heldout, int(every), int(generations)

    def columns(self, state):
        number = state.completed + 1
        if number % self.every and number != self.generations:
            return {"heldout_mean": float("nan"), "heldout_std": float("nan")}
        genome = getattr(state.strategy, "center_genome", None)
        if genome is None:
            genome = np.asarray(state.hall_of_fame[0], dtype=np.float64)
        returns = np.asarray(self.heldout(np.asarray(genome, dtype=np.float64)), dtype=np.float64)
        return {"heldout_mean": float(np.mean(returns)), "heldout_std": float(np.std(returns))}


class Checkpointing(Hook):
    """Write the run state every ``every`` generations and after the last; the pending one on Ctrl-C.

    Parameters
    ----------
    path : pathlib.Path
    every : int
    generations : int
    fingerprint : dict
        What a resumed run must match (:func:`~neuroworm.evolve.checkpoint.compare_fingerprints`).
    also : sequence of callable, optional
        ``also(state)`` runs after each checkpoint is written (e.g. :class:`LogbookCSV`).
    """

    def __init__(self, path, every, generations, fingerprint, also=()):
        self.path, self.every, self.generations, self.fingerprint = path, int(every), int(generations), fingerprint
        self.also = tuple(also)

    def after_generation(self, state, record):
        if state.completed % self.every == 0 or state.completed == self.generations:
            write_checkpoint(self.path, *state.pack(self.fingerprint))
            for follower in self.also:
                follower(state)

    def interrupted(self, state):
        if state.evaluating and state.pending is not None:
            write_checkpoint(self.path, *state.pack(self.fingerprint, pending=True))


class LogbookCSV:
    """Rewrite the logbook as CSV (aside, then renamed: a reader never sees half a file).

    Parameters
    ----------
    path : str or path-like
    """

    def __init__(self, path):
        self.path = Path(path)

    def __call__(self, state):
        partial = self.path.with_name(self.path.name + ".tmp")
        state.result().to_csv(partial)
        partial.replace(self.path)


class Progress(Hook):
    """A tqdm progress bar showing the best and mean fitness.

    Parameters
    ----------
    state : RunState
        Where the run starts (a resumed run starts part-way).
    generations : int
    enabled : bool
    """

    def __init__(self, state, generations, enabled=True):
        if enabled:
            from tqdm.auto import tqdm
        else:  # tqdm.auto warns in kernels without ipywidgets, even for a disabled bar
            from tqdm import tqdm
        self.bar = tqdm(total=generations, initial=min(state.completed, generations), desc=state.strategy.name,
                        unit="gen", disable=not enabled, dynamic_ncols=True)

    def after_generation(self, state, record):
        self.bar.set_postfix(best=f"{record['best']:.4g}", mean=f"{record['mean']:.4g}", refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


def _draw_seeds(state, n_new, common):
    """One evaluation seed per new individual (or one shared by all of them, ``common``)."""
    drawn = state.evaluation_rng.integers(0, 2**63 - 1, size=1 if common else n_new, dtype=np.int64)
    return np.repeat(drawn, n_new) if common else drawn


def generation(state, toolbox, hooks=(), *, seeds=None):
    """One generation: generate (unless one is pending), evaluate, update, record.

    Parameters
    ----------
    state : RunState
        Advanced in place by one generation.
    toolbox : deap.base.Toolbox
        With ``generate``, ``evaluate_population`` and ``update``
        (:func:`~neuroworm.evolve.toolbox.make_toolbox`).
    hooks : sequence of Hook
        Their ``columns`` join the logbook row.
    seeds : callable, optional
        ``seeds(state, n_new) -> array`` of evaluation seeds; None: the
        evaluate function takes none.

    Returns
    -------
    dict
        The logbook row recorded.
    """
    if state.pending is None:
        population = toolbox.generate()
        n_new = sum(not individual.fitness.valid for individual in population)
        state.pending = (population, None if seeds is None else seeds(state, n_new))
    state.population, evaluation_seeds = state.pending
    targets = [individual for individual in state.population if not individual.fitness.valid]
    state.evaluating = True
    fitness = toolbox.evaluate_population(population_genomes(targets), evaluation_seeds) if targets else []
    state.evaluating = False
    assign_fitness(targets, fitness)

    strategy_values = state.strategy.log_values()
    toolbox.update(state.population)
    all_fitness = population_fitness(state.population)
    leaders = np.argsort(-all_fitness, kind="stable")[: state.hall_of_fame.maxsize]
    update_hall_of_fame(state.hall_of_fame, [state.population[i] for i in leaders])
    best = state.hall_of_fame[0].fitness.values[0]
    record = generation_record(state.completed, all_fitness, len(targets), best, strategy_values)
    for hook in hooks:
        record.update(hook.columns(state))
    state.logbook.record(**record)
    state.completed += 1
    state.pending = None
    return record


def _start(strategy, seed, checkpoint, resume, fingerprint, hall_of_fame_size):
    """The run state to start from: the checkpoint's when resuming, else a fresh one."""
    if checkpoint is not None and checkpoint.exists():
        if not resume:
            raise CheckpointError(
                f"checkpoint {checkpoint} already exists; pass resume=True to continue that run, "
                "or remove the file to start a new one"
            )
        saved = read_checkpoint(checkpoint)
        compare_fingerprints(checkpoint, saved.value("fingerprint"), fingerprint)
        return RunState.unpack(saved, strategy, hall_of_fame_size)
    if resume:
        warnings.warn(f"no checkpoint at {checkpoint}; starting a new run", stacklevel=3)
    return RunState.fresh(strategy, seed, hall_of_fame_size)


def run(
    strategy,
    evaluate,
    generations,
    seed=None,
    *,
    checkpoint=None,
    checkpoint_every=1,
    resume=False,
    map=None,
    batch_size=None,
    progress=True,
    hall_of_fame_size=1,
    workers=None,
    heldout=None,
    heldout_every=10,
    settings=None,
    common_seeds=False,
    logbook_csv=None,
    hooks=(),
):
    """Evolve genomes with ``strategy`` for ``generations`` generations.

    Parameters
    ----------
    strategy : Strategy
        E.g. :class:`~neuroworm.evolve.elite_ga.EliteGA`.  It is copied: the
        object passed in is left as it is, and the evolved strategy is
        returned in the result.
    evaluate : callable
        ``evaluate(genomes) -> fitness`` with ``genomes`` of shape (B, D)
        and ``fitness`` of shape (B,), higher is better; NaN or ``-inf``
        marks a failed individual, which ranks below all others.  If it
        accepts a keyword ``seeds`` it also receives one integer seed per
        genome (for noisy evaluations, e.g. environment starting states),
        drawn from the run's seed, so that noisy runs are reproducible and
        resumable too.  Must be picklable for process and Dask maps.
    generations : int
        Total number of generations, including those of a resumed run.
    seed : None, int, SeedSequence or numpy.random.Generator
        The run's only source of randomness: it seeds one generator for the
        strategy (replacing the strategy's own) and one for evaluation
        seeds.  Same seed, same strategy and same evaluate function give the
        same logbook bit for bit.
    checkpoint : str or path-like, optional
        File for checkpoints (see :mod:`neuroworm.evolve.checkpoint`).
    checkpoint_every : int
        Write a checkpoint after every this many generations, after the last
        generation, and when a ``KeyboardInterrupt`` arrives during an
        evaluation.
    resume : bool
        Continue from ``checkpoint``.  The result is identical to that of an
        uninterrupted run: the strategy, population, logbook, hall of fame
        and generators come from the checkpoint, and the arguments of this
        call are only checked against its fingerprint (``generations`` may
        grow, to extend a finished run).  If the file does not exist yet a new run starts
        (with a warning), so the same command can be resubmitted to a batch
        queue.
    map : None, "process", "dask", dask.distributed.Client, str or callable
        How batches are evaluated (see :mod:`neuroworm.evolve.parallel`).
    batch_size : int, optional
        Individuals per evaluation batch.  Give the same value to get
        bit-identical results from different maps.
    progress : bool
        Show a tqdm progress bar with the best and mean fitness.
    hall_of_fame_size : int
        Number of best individuals kept.
    workers : int, optional
        Workers of a ``"process"`` pool or ``"dask"`` LocalCluster (default:
        the number of CPUs).
    settings : dict, optional
        JSON-able description of everything outside the strategy that
        changes results (task, model, backend, episode and neural steps,
        connectome, ...).  It is part of the checkpoint's fingerprint, so a
        resumed run with different settings is refused instead of mixing
        two kinds of evaluation in one logbook.
    heldout : callable, optional
        ``heldout(genome) -> returns``: scores one genome on episodes no
        training step sees (held-out environment seeds). Every
        ``heldout_every`` generations, and after the last, it scores the
        strategy's product -- the search distribution's mean
        (``strategy.center_genome``) for an evolution strategy, else the
        hall of fame's best -- and the logbook gets ``heldout_mean`` and
        ``heldout_std`` (NaN in the other rows). It must be deterministic
        (fixed seeds) for a resumed run to equal an uninterrupted one.
    heldout_every : int
        Generations between held-out evaluations.
    common_seeds : bool
        Common random numbers: every individual evaluated in a generation
        gets the same seed (a fresh one each generation), so a noisy
        evaluation meets all of them with the same environment starting
        states and their ranks compare genomes, not luck.  With
        antithetic evolution strategies this cancels the starting-state
        noise in each mirrored pair's difference.  Default False: one
        independent seed per individual.
    logbook_csv : str or path-like, optional
        Also write the logbook as CSV whenever a checkpoint is written, so
        a long run can be followed (held-out columns included) while it
        runs.
    hooks : sequence of Hook, optional
        More hooks, called after the built-in ones (held-out scoring,
        checkpoints, progress); their ``columns`` are not part of the
        fingerprint, so they must not change between a run and its resumption.

    Returns
    -------
    EvolutionResult
        Final strategy, last population, logbook, hall of fame.

    Raises
    ------
    CheckpointError
        If ``checkpoint`` exists and ``resume`` is False, or if it is
        corrupt, truncated, or written by a run with a different
        configuration (strategy class or parameters, genome size, seed,
        initial genome, ...).  A run never silently restarts.
    ConfigError
        For invalid arguments, or an evaluate function returning the wrong
        number of fitness values.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroworm.evolve import EliteGA, run
    >>> from neuroworm.evolve.objectives import sphere
    >>> ga = EliteGA(np.ones(5), population_size=20, n_elites=2, mutation_rate=0.1)
    >>> result = run(ga, sphere, generations=10, seed=1, progress=False)
    >>> result.logbook_frame().shape[0]
    10
    """
    generations = check_integer("generations", generations, minimum=0)  # 1.5 is refused, not cut to 1
    checkpoint_every = check_integer("checkpoint_every", checkpoint_every, minimum=1)
    if resume and checkpoint is None:
        raise ConfigError("resume=True needs a checkpoint path")
    strategy = copy.deepcopy(strategy)
    seeded_evaluation = accepts_seeds(evaluate)
    fingerprint = {
        "state_version": STATE_VERSION,
        "strategy": strategy.config(),
        "seed": _describe_seed(seed),
        "seeded_evaluation": seeded_evaluation,
        "hall_of_fame_size": int(hall_of_fame_size),
        "settings": settings,
        "heldout_every": None if heldout is None else int(heldout_every),
    }
    if common_seeds:  # absent when off, so checkpoints written before this option still resume
        fingerprint["common_seeds"] = True
    checkpoint = None if checkpoint is None else Path(checkpoint)
    state = _start(strategy, seed, checkpoint, resume, fingerprint, hall_of_fame_size)

    every_hook = []
    if heldout is not None:
        every_hook.append(HeldoutScoring(heldout, heldout_every, generations))
    if checkpoint is not None:
        also = () if logbook_csv is None else (LogbookCSV(logbook_csv),)
        every_hook.append(Checkpointing(checkpoint, checkpoint_every, generations, fingerprint, also))
    every_hook.append(Progress(state, generations, enabled=progress))
    every_hook.extend(hooks)
    draw = None
    if seeded_evaluation:
        def draw(state, n_new):
            return _draw_seeds(state, n_new, common_seeds)

    try:
        with open_map(map, workers=workers) as mapper:
            toolbox = make_toolbox(state.strategy, evaluate, map=mapper.function, batch_size=batch_size,
                                   workers=mapper.workers)
            while state.completed < generations:
                record = generation(state, toolbox, every_hook, seeds=draw)
                for hook in every_hook:
                    hook.after_generation(state, record)
    except KeyboardInterrupt:
        for hook in every_hook:
            hook.interrupted(state)
        raise
    finally:
        for hook in every_hook:
            hook.close()
    return state.result(checkpoint)
