"""Evolve a connectome controller on a control task: the Schmidgall et al. (2023) experiment.

One function, :func:`evolve_controller`, wires the pipeline of DESIGN.md end
to end — connectome → circuit → genome layout → closed-loop evaluation →
DEAP strategy — and writes what a user looks at afterwards: the checkpoint,
the logbook as CSV, the best genome, and figures. ``neuroworm evolve`` and
``make demo`` call it.
"""

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..connectome.circuits import NAMED_CIRCUITS
from ..errors import ConfigError
from ..validation import check_nonnegative_int, check_positive_int
from .config import load_experiment_config
from .run_folder import RunFolder, check_output_folder, require_memory

__all__ = ["CHECKPOINT_NAME", "CIRCUITS", "STRATEGIES", "EvolutionSettings", "StrategyRecipe", "can_resume",
           "evolve_controller", "load_best_genome", "register_strategy"]

CHECKPOINT_NAME = "checkpoint.npz"
"""The run state inside a run folder (:mod:`neuroworm.evolve.checkpoint`; no pickle)."""

CIRCUITS = tuple(NAMED_CIRCUITS)
"""Circuits ``evolve_controller`` can build from a connectome."""



@dataclass
class EvolutionSettings:
    """Everything that defines an evolution run; saved as ``settings.json`` beside its results.

    The defaults are the paper's (Schmidgall et al. 2023, A.3.1, "varying
    biophysical realism"), except the population and generation counts,
    which the command line sets.
    """

    connectome: str = "cook2019_hermaphrodite"
    circuit: str = "locomotion"
    model: str = "alif"
    task: str = "Swimmer-v5"
    strategy: str = "ga"
    population: int = 64
    generations: int = 20
    episode_steps: int = 1000
    neural_steps_per_env_step: int | None = None  # None: the model's default (neuroworm.control)
    backend: str = "brian2"
    seed: int = 1
    elites: int = 8
    mutation_rate: dict = field(default_factory=lambda: {"encoder_decoder": 0.01, "connectome": 0.01})
    mutation_decay: dict = field(default_factory=lambda: {"encoder_decoder": 0.997, "connectome": 0.997})

    @classmethod
    def from_paper(cls, experiment="varying_biophysical_realism", **overrides):
        """Settings with the GA hyperparameters of one of the paper's experiments (``models/schmidgall2023.toml``)."""
        table = load_experiment_config("schmidgall2023")["genetic_algorithm"]
        if experiment not in table:
            raise ConfigError(f"no GA settings for experiment {experiment!r}; known: {sorted(table)}")
        spec = table[experiment]
        settings = cls(
            population=spec["population_size"], elites=spec["n_elites"],
            mutation_rate=dict(spec["mutation_rate"]), mutation_decay=dict(spec["mutation_decay"]),
        )
        for key, value in overrides.items():
            setattr(settings, key, value)
        return settings

    def validate(self):
        """Raise :class:`ConfigError` naming the first setting that cannot work."""
        if self.circuit not in CIRCUITS:
            raise ConfigError(f"circuit must be one of {CIRCUITS}, got {self.circuit!r}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy must be one of {tuple(STRATEGIES)}, got {self.strategy!r}")
        for name in ("population", "generations", "episode_steps"):
            check_positive_int(name, getattr(self, name))
        if self.neural_steps_per_env_step is not None:
            from ..control.controller import check_neural_steps

            check_neural_steps(self.neural_steps_per_env_step)  # with its upper bound, before the folder is made
        check_nonnegative_int("seed", self.seed)
        STRATEGIES[self.strategy].check(self)
        return self


@dataclass(frozen=True)
class StrategyRecipe:
    """How ``neuroworm evolve`` makes one strategy from its settings.

    Attributes
    ----------
    build : callable
        ``build(settings, layout, rng) -> Strategy``.
    check : callable
        ``check(settings)`` raises :class:`ConfigError` for settings the strategy cannot run.
    description : str
    """

    build: object
    check: object
    description: str


STRATEGIES = {}
"""Strategy name → :class:`StrategyRecipe` (:func:`register_strategy`); ``neuroworm evolve --strategy NAME``."""


def register_strategy(name, build, check=lambda settings: None, description=""):
    """Offer a strategy to :func:`evolve_controller` and ``neuroworm evolve --strategy NAME``.

    Parameters
    ----------
    name : str
    build : callable
        ``build(settings, layout, rng) -> Strategy``: the strategy for an
        :class:`EvolutionSettings` and a :class:`~neuroworm.genome.GenomeLayout`,
        seeded from ``rng``.
    check : callable, optional
        ``check(settings)``, raising :class:`ConfigError` for settings the
        strategy cannot run (called by :meth:`EvolutionSettings.validate`).
    description : str, optional
    """
    STRATEGIES[str(name)] = StrategyRecipe(build, check, description)


def _elite_ga(settings, layout, rng):
    from ..evolve import EliteGA

    return EliteGA(
        layout.random(settings.population, seed=rng), population_size=settings.population,
        n_elites=settings.elites, groups=layout.mutation_groups(), mutation_rate=settings.mutation_rate,
        mutation_decay=settings.mutation_decay, seed=rng,
    )


def _check_elite_ga(settings):
    if not 1 <= check_positive_int("elites", settings.elites) < settings.population:
        raise ConfigError(
            f"elites must be in [1, population), got {settings.elites} with population {settings.population}"
        )


def _openai_es(settings, layout, rng):
    from ..evolve import OpenAIES

    center = layout.random(1, seed=rng)[0]
    es = load_experiment_config("schmidgall2023")["evolution_strategies"]
    return OpenAIES(
        center, population_size=settings.population, groups=layout.mutation_groups(), sigma=es["sigma"],
        learning_rate=es["learning_rate"], sigma_decay=es["sigma_decay"],
        learning_rate_decay=es["learning_rate_decay"], seed=rng,
    )


def _check_openai_es(settings):
    if settings.population % 2:
        raise ConfigError(f"population must be even for the ES (antithetic pairs), got {settings.population}")


def _cma_es(settings, layout, rng):
    from ..evolve import CMAES

    center = layout.random(1, seed=rng)[0]
    return CMAES(center, sigma=0.1, population_size=settings.population, seed=rng)


def _check_cma_es(settings):
    if settings.population < 2:
        raise ConfigError(
            f"population must be at least 2 for CMA-ES (it recombines the best half), got {settings.population}"
        )


register_strategy("ga", _elite_ga, _check_elite_ga, "the papers' elite GA")
register_strategy("es", _openai_es, _check_openai_es, "OpenAI-ES")
register_strategy("cma", _cma_es, _check_cma_es, "CMA-ES (small genomes only)")


def _circuit(settings):
    from ..connectome import load_connectome, named_circuit

    return named_circuit(load_connectome(settings.connectome), settings.circuit)


def _run_folder(out):
    """The run folder: a run is there once its checkpoint is; ``generations`` may grow on resume."""
    return RunFolder(out, grows={"generations"}, started_by=CHECKPOINT_NAME)


def can_resume(settings, out):
    """Whether ``out`` holds a checkpoint of a run with these settings (``generations`` may differ)."""
    return _run_folder(out).can_resume(asdict(settings))


def _refuse_legacy_checkpoint(out):
    """A pickle checkpoint of neuroworm 0.1 is never loaded: unpickling can run code."""
    legacy = out / "checkpoint.pkl"
    if legacy.exists() and not (out / CHECKPOINT_NAME).exists():
        raise ConfigError(
            f"{legacy} is a pickle checkpoint of neuroworm 0.1, which is not loaded because unpickling can run code; "
            "remove it (or choose another --out) to start a new run"
        )


def _bytes_per_individual(layout):
    """Rough memory one individual costs: about eight copies of its genome plus its simulated neurons' state."""
    return 8 * 8 * layout.size + 2048 * layout.circuit.n_neurons


def evolve_controller(settings, out, resume=False, dask=None, processes=None, progress=True, checkpoint_every=1):
    """Evolve a connectome controller and write its results to ``out``.

    Parameters
    ----------
    settings : EvolutionSettings
        What to evolve, on what, and how.
    out : str or pathlib.Path
        Folder for ``checkpoint.npz``, ``logbook.csv``, ``best_genome.npz``,
        ``settings.json`` and the figures ``fitness.png``,
        ``best_trajectory.png``, ``best_raster.png``.
    resume : bool
        Continue from ``out/checkpoint.npz``; the result equals an
        uninterrupted run's. Only ``generations`` may differ from the saved
        settings (to extend a run).
    dask : str, optional
        ``"local"`` starts a ``dask.distributed.LocalCluster``; an address
        (``tcp://host:8786``) connects to a running scheduler.
    processes : int, optional
        Split each generation over this many worker processes on this
        machine (one batch each). Brian2's runtime code uses one core, so on
        two cores ``processes=2`` makes a generation about 20 % faster
        (``benchmarks/bench_generation.py``). Results do not change.
    progress : bool
        Show a progress bar.
    checkpoint_every : int
        Generations between checkpoints (one is also written on Ctrl-C).

    Returns
    -------
    neuroworm.evolve.EvolutionResult

    Raises
    ------
    ConfigError
        For settings that cannot work, ``resume`` with settings that differ
        from the saved run's, an existing run in ``out`` without ``resume``,
        an ``out`` that is a file or cannot be written, a population that
        does not fit in memory, or another run writing to ``out`` (the folder
        is locked for the whole run). Every refusal happens before anything
        is written.
    """
    from ..genome import GenomeLayout
    from ..tasks import task_dimensions

    settings.validate()
    if dask and processes is not None:
        raise ConfigError("choose either dask or processes, not both")
    if processes is not None:
        check_positive_int("processes", processes)
    if dask is not None and dask != "local" and "://" not in str(dask):
        raise ConfigError(f"dask must be 'local' or a scheduler address such as tcp://host:8786, got {dask!r}")
    check_positive_int("checkpoint_every", checkpoint_every)
    out = Path(out)
    folder = _run_folder(out)
    check_output_folder(out)
    _refuse_legacy_checkpoint(out)
    folder.refuse_unless_runnable(asdict(settings), resume)
    circuit = _circuit(settings)
    n_observations, n_actions = task_dimensions(settings.task)
    layout = GenomeLayout(circuit, settings.model, n_observations=n_observations, n_actions=n_actions)
    require_memory(settings.population * _bytes_per_individual(layout), f"a population of {settings.population}")

    with folder.open(asdict(settings), resume):
        return _evolve(settings, out, circuit, layout, resume, dask, processes, progress, checkpoint_every)


def _evolve(settings, out, circuit, layout, resume, dask, processes, progress, checkpoint_every):
    """The run itself, in a locked folder whose settings are written (see :func:`evolve_controller`)."""
    from .. import plot
    from ..control.evaluator import ClosedLoopEvaluator, evaluate
    from ..evolve import run
    from ..seeding import make_rng
    from ..worm_file import write_worm_file

    rng = make_rng(settings.seed)
    strategy = STRATEGIES[settings.strategy].build(settings, layout, rng)
    evaluator = ClosedLoopEvaluator(
        circuit, settings.model, settings.task, backend=settings.backend, episode_steps=settings.episode_steps,
        neural_steps_per_env_step=settings.neural_steps_per_env_step,
    )
    parallel = {"map": "dask" if dask == "local" else dask}
    if processes is not None:
        processes = int(processes)
        parallel = {"map": "process", "workers": processes, "batch_size": -(-settings.population // processes)}
    result = run(
        strategy, evaluator, settings.generations, seed=rng, checkpoint=out / CHECKPOINT_NAME,
        checkpoint_every=checkpoint_every, resume=resume, progress=progress, settings=_run_folder(out).fingerprint(asdict(settings)),
        **parallel,
    )
    result.to_csv(out / "logbook.csv")
    best = np.asarray(result.best, dtype=float)
    write_worm_file(out / "best_genome.npz", best, asdict(settings), layout, fitness=np.float64(result.best_fitness))

    import matplotlib

    matplotlib.use("Agg")
    plot.save(plot.fitness(result), out / "fitness.png")
    _returns, record = evaluate(
        circuit, settings.model, best[None, :], settings.task, backend=settings.backend,
        episode_steps=settings.episode_steps, neural_steps_per_env_step=settings.neural_steps_per_env_step,
        seed=settings.seed, record=True,
    )
    plot.save(plot.swim_trajectory(record), out / "best_trajectory.png")
    plot.save(plot.rollout_raster(record, circuit), out / "best_raster.png")
    return result


def load_best_genome(out):
    """Read ``best_genome.npz`` written by :func:`evolve_controller` (a worm file, :mod:`neuroworm.worm_file`).

    Returns
    -------
    genome : numpy.ndarray
    fitness : float
    settings : EvolutionSettings

    Raises
    ------
    ConfigError
        A file that is not a readable worm file (see :func:`~neuroworm.worm_file.read_worm_file`).
    """
    from ..limits import as_path
    from ..worm_file import read_worm_file

    worm = read_worm_file(as_path(out, "a run folder") / "best_genome.npz")
    return worm.genome, float(worm.arrays["fitness"]), EvolutionSettings(**worm.settings)
