"""The evolution loop: generate, evaluate, update, record, checkpoint.

:func:`run` drives any strategy with DEAP's ``generate``/``update`` shape
(:class:`~neuroworm.evolve.elite_ga.EliteGA`,
:class:`~neuroworm.evolve.openai_es.OpenAIES`,
:class:`~neuroworm.evolve.cma_es.CMAES`) against an evaluate function that
scores a whole matrix of genomes at once.
"""

import copy
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from ..errors import CheckpointError, ConfigError
from ..seeding import make_rng
from .checkpoint import compare_fingerprints, generator_state, read_checkpoint, write_checkpoint
from .individual import Individual, assign_fitness, population_fitness, population_genomes
from .parallel import accepts_seeds, open_map
from .records import EvolutionResult, generation_record, new_hall_of_fame, new_logbook, update_hall_of_fame
from .toolbox import make_toolbox

__all__ = ["run"]

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


def _pack_state(completed, strategy, evaluation_rng, population, pending_seeds, is_pending, logbook,
                hall_of_fame, fingerprint):
    """The run state as JSON-able fields and numeric arrays (see :mod:`.checkpoint`)."""
    strategy_fields, strategy_arrays = strategy.state()
    fields = {
        "fingerprint": fingerprint,
        "generation": completed,
        "strategy": strategy_fields,
        "evaluation_rng": generator_state(evaluation_rng),
        "has_population": population is not None,
        "pending": is_pending,
        "has_pending_seeds": pending_seeds is not None,
        "logbook_header": list(logbook.header or []),
        "logbook": [dict(row) for row in logbook],
    }
    arrays = {f"strategy.{name}": array for name, array in strategy_arrays.items()}
    if population is not None:
        arrays["population.genomes"] = population_genomes(population)
        arrays["population.fitness"] = population_fitness(population)
        arrays["population.valid"] = np.array([individual.fitness.valid for individual in population])
    if pending_seeds is not None:
        arrays["pending_seeds"] = np.asarray(pending_seeds, dtype=np.int64)
    arrays["hall_of_fame.genomes"] = (population_genomes(hall_of_fame) if len(hall_of_fame)
                                      else np.zeros((0, strategy.genome_size)))
    arrays["hall_of_fame.fitness"] = population_fitness(hall_of_fame) if len(hall_of_fame) else np.zeros(0)
    return fields, arrays


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
    if pending and seeds is not None:
        waiting = sum(not individual.fitness.valid for individual in population)
        if len(seeds) != waiting:
            state.invalid("pending_seeds", f"{waiting} seeds, one per individual awaiting evaluation", len(seeds))
    return strategy, evaluation_rng, logbook, hall_of_fame, completed, population, (
        (population, seeds) if pending else None
    )


def _heldout_record(heldout, strategy, hall_of_fame, due):
    """``heldout_mean``/``heldout_std`` of the strategy's product (NaN when not ``due``)."""
    if not due:
        return {"heldout_mean": float("nan"), "heldout_std": float("nan")}
    genome = getattr(strategy, "center_genome", None)
    if genome is None:
        genome = np.asarray(hall_of_fame[0], dtype=np.float64)
    returns = np.asarray(heldout(np.asarray(genome, dtype=np.float64)), dtype=np.float64)
    return {"heldout_mean": float(np.mean(returns)), "heldout_std": float(np.std(returns))}


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
    generations = int(generations)
    checkpoint_every = int(checkpoint_every)
    if generations < 0 or checkpoint_every < 1:
        raise ConfigError(f"generations must be >= 0 and checkpoint_every >= 1, got {generations}, {checkpoint_every}")
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

    state = None
    if checkpoint is not None and checkpoint.exists():
        if not resume:
            raise CheckpointError(
                f"checkpoint {checkpoint} already exists; pass resume=True to continue that run, "
                "or remove the file to start a new one"
            )
        state = read_checkpoint(checkpoint)
        compare_fingerprints(checkpoint, state.value("fingerprint"), fingerprint)
    elif resume:
        warnings.warn(f"no checkpoint at {checkpoint}; starting a new run", stacklevel=2)

    if state is None:
        strategy_rng, evaluation_rng = make_rng(seed).spawn(2)
        strategy.rng = strategy_rng
        logbook, hall_of_fame = new_logbook(), new_hall_of_fame(hall_of_fame_size)
        completed, population, pending = 0, None, None
    else:
        strategy, evaluation_rng, logbook, hall_of_fame, completed, population, pending = _unpack_state(
            state, strategy, int(hall_of_fame_size)
        )

    def snapshot(pending_seeds=None, is_pending=False):
        return _pack_state(completed, strategy, evaluation_rng, population, pending_seeds, is_pending, logbook,
                           hall_of_fame, fingerprint)

    if progress:
        from tqdm.auto import tqdm
    else:  # tqdm.auto warns in kernels without ipywidgets, even for a disabled bar
        from tqdm import tqdm

    bar = tqdm(total=generations, initial=min(completed, generations), desc=strategy.name, unit="gen",
               disable=not progress, dynamic_ncols=True)
    in_evaluation = False
    try:
        with open_map(map, workers=workers) as mapper:
            toolbox = make_toolbox(strategy, evaluate, map=mapper.function, batch_size=batch_size,
                                   workers=mapper.workers)
            while completed < generations:
                if pending is None:
                    population = toolbox.generate()
                    n_new = sum(not individual.fitness.valid for individual in population)
                    seeds = None
                    if seeded_evaluation:
                        drawn = evaluation_rng.integers(0, 2**63 - 1, size=1 if common_seeds else n_new, dtype=np.int64)
                        seeds = np.repeat(drawn, n_new) if common_seeds else drawn
                    pending = (population, seeds)
                population, seeds = pending
                targets = [individual for individual in population if not individual.fitness.valid]
                in_evaluation = True
                fitness = toolbox.evaluate_population(population_genomes(targets), seeds) if targets else []
                in_evaluation = False
                assign_fitness(targets, fitness)

                strategy_values = strategy.log_values()
                toolbox.update(population)
                all_fitness = population_fitness(population)
                leaders = np.argsort(-all_fitness, kind="stable")[: hall_of_fame.maxsize]
                update_hall_of_fame(hall_of_fame, [population[i] for i in leaders])
                best = hall_of_fame[0].fitness.values[0]
                record = generation_record(completed, all_fitness, len(targets), best, strategy_values)
                if heldout is not None:
                    record.update(_heldout_record(heldout, strategy, hall_of_fame,
                                                  (completed + 1) % int(heldout_every) == 0
                                                  or completed + 1 == generations))
                logbook.record(**record)
                completed += 1
                pending = None

                if checkpoint is not None and (completed % checkpoint_every == 0 or completed == generations):
                    write_checkpoint(checkpoint, *snapshot())
                    if logbook_csv is not None:  # written aside, then renamed: a reader never sees half a file
                        partial = Path(logbook_csv).with_name(Path(logbook_csv).name + ".tmp")
                        EvolutionResult(strategy, population, logbook, hall_of_fame, completed).to_csv(partial)
                        partial.replace(logbook_csv)
                bar.set_postfix(best=f"{record['best']:.4g}", mean=f"{record['mean']:.4g}", refresh=False)
                bar.update(1)
    except KeyboardInterrupt:
        if checkpoint is not None and in_evaluation and pending is not None:
            write_checkpoint(checkpoint, *snapshot(pending_seeds=pending[1], is_pending=True))
        raise
    finally:
        bar.close()

    return EvolutionResult(strategy=strategy, population=population, logbook=logbook,
                           hall_of_fame=hall_of_fame, generations=completed, checkpoint=checkpoint)
