"""Pre-train a connectome controller by ES, then fine-tune every synapse by the elite GA.

Schmidgall, Schuman & Parsa (2023, A.2) pre-train "the initial weights and
neuron model constants" and a non-linear encoder and decoder with OpenAI-ES
for 1000 epochs (A.3.2: population 200, σ = learning rate = 0.1, both
decayed by 0.999 per epoch, separately for the encoder/decoder and the
shared connectome weights), and then fine-tune the weights individually with
the elite GA of A.3.1. :func:`pretrain` chains both stages in one run:

1. **ES stage.** The search vector holds the encoder and decoder entries
   one by one and, *shared*, one log-weight for all excitatory synapses, one
   for all inhibitory synapses, one gap-junction log-conductance, and one
   value per neuron constant and cell role (input cells, output cells,
   others) -- see :func:`shared_expansion`. Each candidate is expanded to a
   full genome :math:`\\theta = E(x)` before it is evaluated.
2. **GA stage.** The ES product :math:`E(x^*)` -- every synapse now its own
   gene -- seeds an :class:`~neuroworm.evolve.EliteGA`. The product is the
   ES mean that scored best on the validation seeds (every
   ``heldout_every`` epochs, :class:`ValidatedBest`), not necessarily the
   last: past its best, ES can go on improving its training objective
   (short or windowed episodes) while the full-episode return falls.
3. **Fine-tuning stage (optional, neuroworm's, not the paper's).** With
   ``finetune_epochs > 0``, OpenAI-ES continues from the GA's product on
   *every* gene with plain full-episode returns and small steps
   (``finetune_sigma``, ``finetune_learning_rate``): an estimated-gradient
   search, where the GA's elites only keep lucky mutations. The final worm is
   then the last fine-tuned centre (not the best-validated one: see
   :func:`finetune`). Off by default.

**Honest fitness.** An individual's fitness is its mean return over ``m``
episodes with different reset seeds (:class:`MultiEpisodeFitness`: one
batched call of P·m bodies). Every ``heldout_every`` generations the
strategy's product is scored on *validation* seeds no training episode uses
(``heldout_mean``/``heldout_std`` in the logbook); the final worm is scored
once on separate *test* seeds (:data:`TEST_SEED_BASE`), never used for
training or for choosing anything. Training seeds lie in ``[0, 2^30)``,
validation and test seeds above.

Both stages write a checkpoint every epoch and resume from it.

References
----------
Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as a
representation for the architecture of artificial neural networks.
Appendix A.2, A.3.1, A.3.2.
Salimans, T. et al. (2017). Evolution strategies as a scalable alternative to
reinforcement learning. arXiv:1703.03864.
"""

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..neurons.models import ModelTable, model_class
from ..seeding import TEST_SEED_BASE, TRAINING_SEED_LIMIT, VALIDATION_SEED_BASE
from ..validation import check_integer, check_real
from .config import load_experiment_config
from .run_folder import RunFolder, require_memory

__all__ = [
    "PRETRAINED_NEURON_CONSTANTS",
    "TEST_SEED_BASE",
    "TRAINING_SEED_LIMIT",
    "VALIDATION_SEED_BASE",
    "HeldoutReturns",
    "MultiEpisodeFitness",
    "PretrainSettings",
    "ValidatedBest",
    "episode_seeds",
    "finetune",
    "heldout_seeds",
    "load_worm",
    "pretrain",
    "pretraining_layout",
    "run_until_validation_stops",
    "save_worm",
    "shared_expansion",
]

PRETRAINED_NEURON_CONSTANTS = ModelTable("tunable_constants", aliases=True)
"""Neuron constants the ES stage tunes, per model (shared per cell role).

A read-only view of each registered model's ``tunable_constants``
(:mod:`neuroworm.neurons.models`); a model that is not registered is an
error, not an empty tuple. The paper tunes "neuron model constants"
without listing them. Here: the
firing threshold, the adaptation strength β and the input scale, the
constants our models allow per neuron. The decays γ and γ_s stay at the
paper's values (A.3.3): our networks hold them as one constant per network,
not per individual.
"""


def episode_seeds(seed, episodes):
    """``episodes`` reset seeds in ``[0, 2^30)`` derived from one evaluation seed.

    Parameters
    ----------
    seed : int
        The driver's seed for an individual (any non-negative int).
    episodes : int
        m.

    Returns
    -------
    numpy.ndarray of int64, shape (episodes,)
    """
    state = np.random.SeedSequence(int(seed)).generate_state(int(episodes), dtype=np.uint32)
    return (state.astype(np.int64) % TRAINING_SEED_LIMIT).astype(np.int64)


def heldout_seeds(count, kind="test"):
    """The fixed held-out reset seeds: ``"validation"`` (during training) or ``"test"`` (the report)."""
    bases = {"validation": VALIDATION_SEED_BASE, "test": TEST_SEED_BASE}
    if kind not in bases:
        raise ConfigError(f"kind must be 'validation' or 'test', got {kind!r}")
    return [bases[kind] + i for i in range(int(count))]


class MultiEpisodeFitness:
    r"""Fitness = mean return over ``m`` episodes, all P·m bodies in one batched call.

    .. math:: F(\theta_i) = \frac{1}{m} \sum_{j=1}^{m} R(\theta_i; \text{seed}_{ij})

    Parameters
    ----------
    evaluator : ClosedLoopEvaluator
        Scores a matrix of genomes with one reset seed per row.
    episodes : int
        m.
    transient_steps : int
        Rewards of the first ``transient_steps`` environment steps do not
        count (0: the plain return).
    windows : int
        The rest of the episode is cut into ``windows`` equal windows and
        an episode scores ``windows × min(window rewards)`` (1: the sum
        after the transient). A training objective only, for sustained
        locomotion: a swimmer can score ~40 by curling once and then lying
        still, and evolution learns to time that curl into any single
        window it is scored on; the minimum over windows rewards only a
        speed kept all along. Reported returns are always full episodes'.
    steady : float, optional
        Also ask for a steady gait: each episode's score loses the
        fraction ``1 - min(1, f / steady) · min(1, a / steady)`` of its
        size (a positive score shrinks, a negative one grows), with ``f`` and ``a``
        the frequency ratio and the smallest amplitude ratio of the last
        quarter against the first (:func:`neuroworm.analysis.gait.steadiness`;
        a ratio that cannot be measured counts as 0). A training objective
        only, like ``windows``.

    Notes
    -----
    The seeds of individual ``i`` come from the driver's seed for it
    (:func:`episode_seeds`), so runs are reproducible and resumable. A
    diverged episode (``-inf``) makes the individual's fitness ``-inf``.
    """

    def __init__(self, evaluator, episodes, transient_steps=0, windows=1, steady=None):
        if int(episodes) < 1:
            raise ConfigError(f"episodes must be at least 1, got {episodes!r}")
        if steady is not None and not 0 < float(steady) <= 1:
            raise ConfigError(f"steady must be a fraction in (0, 1], got {steady!r}")
        if int(transient_steps) < 0:
            raise ConfigError(f"transient_steps must be >= 0, got {transient_steps!r}")
        if int(windows) < 1:
            raise ConfigError(f"windows must be at least 1, got {windows!r}")
        self.evaluator = evaluator
        self.episodes = int(episodes)
        self.transient_steps = int(transient_steps)
        self.windows = int(windows)
        self.steady = None if steady is None else float(steady)

    def _returns(self, genomes, seeds):
        if not self.transient_steps and self.windows == 1 and self.steady is None:
            return self.evaluator(genomes, seeds=seeds)
        returns, record = self.evaluator.rollout(genomes, seeds=seeds, record=())
        later = np.asarray(record.rewards, dtype=np.float64)[self.transient_steps:]
        parts = np.array_split(later, self.windows, axis=0)
        score = self.windows * np.min([part.sum(axis=0) for part in parts], axis=0)
        if self.steady is not None:
            score = score - (1.0 - self._steadiness_factor(record, returns)) * np.abs(score)  # a loss either sign
        return np.where(np.isfinite(returns), score, returns)

    def _steadiness_factor(self, record, returns):
        """``min(1, f / steady) · min(1, a / steady)`` per episode (0 for a diverged one)."""
        from ..analysis.gait import steadiness

        factors = np.zeros(len(returns))
        for k in np.flatnonzero(np.isfinite(returns)):
            held = steadiness(record, individual=int(k))
            ratios = np.nan_to_num([held.frequency_ratio, held.min_amplitude_ratio], nan=0.0)
            factors[k] = np.prod(np.minimum(1.0, ratios / self.steady))
        return factors

    def __call__(self, genomes, seeds=None):
        genomes = np.atleast_2d(np.asarray(genomes, dtype=np.float64))
        count = genomes.shape[0]
        if seeds is None:
            seeds = np.arange(count)
        reset = np.concatenate([episode_seeds(s, self.episodes) for s in seeds])
        returns = self._returns(np.repeat(genomes, self.episodes, axis=0), [int(s) for s in reset])
        return np.asarray(returns, dtype=np.float64).reshape(count, self.episodes).mean(axis=1)


class HeldoutReturns:
    """Returns of one genome on fixed held-out seeds (one batched call).

    Parameters
    ----------
    evaluator : ClosedLoopEvaluator
        Its ``episode_steps`` should be the full episode (1000).
    seeds : sequence of int
        E.g. ``heldout_seeds(8, "validation")``.
    """

    def __init__(self, evaluator, seeds):
        self.evaluator = evaluator
        self.seeds = [int(s) for s in seeds]

    def __call__(self, genome):
        genome = np.asarray(genome, dtype=np.float64).reshape(1, -1)
        return self.evaluator(np.repeat(genome, len(self.seeds), axis=0), seeds=self.seeds)


def pretraining_layout(circuit, model, n_observations, n_actions):
    """The genome layout of pre-training: per-neuron slices for the tuned constants.

    Returns
    -------
    GenomeLayout
        With ``per_neuron`` = :data:`PRETRAINED_NEURON_CONSTANTS` of the model.
    """
    from ..genome import GenomeLayout

    return GenomeLayout(circuit, model, n_observations=n_observations, n_actions=n_actions,
                        per_neuron=model_class(model).tunable_constants)


def shared_expansion(layout):
    """The ES stage's weight sharing: a :class:`~neuroworm.evolve.SharedWeights` for ``layout``.

    Free (searched one by one): the encoder and decoder entries. Shared:
    ``excitatory`` and ``inhibitory`` -- the log-weights of all chemical
    synapses of that Dale sign (Schmidgall et al. 2023, A.2 "initial shared
    weights"); ``gap_junctions`` -- all log-conductances; and for each
    per-neuron constant one value per cell role, ``"<constant>:inputs"``
    (the motor neurons the encoder drives), ``"<constant>:outputs"`` (the
    muscles the decoder reads), ``"<constant>:others"``.

    Returns
    -------
    SharedWeights
    """
    from ..evolve import SharedWeights

    slices = layout.slices
    circuit = layout.circuit
    chemical = np.arange(slices["chemical_log_weight"].start, slices["chemical_log_weight"].stop)
    sign = np.asarray(circuit.chemical_sign)
    shared = {}
    for name, mask in (("excitatory", sign > 0), ("inhibitory", sign < 0), ("unsigned", sign == 0)):
        if mask.any():
            shared[name] = chemical[mask]
    electrical = slices["electrical_log_conductance"]
    if electrical.stop > electrical.start:
        shared["gap_junctions"] = np.arange(electrical.start, electrical.stop)
    role = np.full(circuit.n_neurons, 2)
    role[np.asarray(circuit.output_index)] = 1
    role[np.asarray(circuit.input_index)] = 0
    for constant in layout.per_neuron:
        start = slices[constant].start
        for number, label in enumerate(("inputs", "outputs", "others")):
            cells = np.flatnonzero(role == number)
            if cells.size:
                shared[f"{constant}:{label}"] = start + cells
    return SharedWeights(layout.size, shared)


@dataclass
class PretrainSettings:
    """What :func:`pretrain` does; saved as ``settings.json`` and inside each worm file.

    Defaults: the paper's ES (A.3.2) and GA (A.3.1, "varying biophysical
    realism") hyperparameters from ``models/schmidgall2023.toml``, except
    the epoch, generation and population counts, which fit a laptop.
    ``es_episode_steps`` may be shorter than the full episode to speed up
    pre-training, and the ES fitness ignores the first
    ``es_transient_steps`` rewards and takes the worst of ``es_windows``
    windows of the rest (see :class:`MultiEpisodeFitness`);
    GA fitness, held-out and test returns are full ``episode_steps``-long
    returns.
    """

    connectome: str = "cook2019_hermaphrodite"
    circuit: str = "locomotion"
    model: str = "alif"
    task: str = "Swimmer-v5"
    neural_steps_per_env_step: int | None = None
    gap_junctions: bool = True  # the paper's networks have none; ours keep Cook et al.'s, one shared conductance in ES
    episode_steps: int = 1000
    seed: int = 0
    episodes_per_individual: int = 2
    es_population: int = 200
    es_epochs: int = 300
    es_episode_steps: int = 500
    es_transient_steps: int = 50
    es_windows: int = 3
    es_sigma: dict = field(default_factory=lambda: {"encoder_decoder": 0.1, "connectome": 0.1})
    es_learning_rate: dict = field(default_factory=lambda: {"encoder_decoder": 0.1, "connectome": 0.1})
    es_decay: dict = field(default_factory=lambda: {"encoder_decoder": 0.999, "connectome": 0.999})
    ga_population: int = 100
    ga_generations: int = 20
    ga_episode_steps: int = 1000
    ga_elites: int = 8
    ga_mutation_rate: dict = field(default_factory=lambda: {"encoder_decoder": 0.01, "connectome": 0.01})
    ga_mutation_decay: dict = field(default_factory=lambda: {"encoder_decoder": 0.997, "connectome": 0.997})
    finetune_epochs: int = 0
    finetune_sigma: float = 0.02
    finetune_learning_rate: float = 0.01
    common_seeds: bool = False  # every individual of a generation meets the same reset seeds (driver's common_seeds)
    validation_episodes: int = 8
    heldout_every: int = 10
    test_episodes: int = 16
    processes: int = 1

    @classmethod
    def from_paper(cls, **overrides):
        """Settings with the hyperparameters of ``models/schmidgall2023.toml`` (A.3.1, A.3.2)."""
        table = load_experiment_config("schmidgall2023")
        es, ga = table["evolution_strategies"], table["genetic_algorithm"]["varying_biophysical_realism"]
        honest = table.get("honest_fitness", {})
        settings = cls(
            es_population=es["population_size"], es_sigma=dict(es["sigma"]), es_learning_rate=dict(es["learning_rate"]),
            es_decay=dict(es["sigma_decay"]), ga_elites=ga["n_elites"], ga_mutation_rate=dict(ga["mutation_rate"]),
            ga_mutation_decay=dict(ga["mutation_decay"]),
            episodes_per_individual=honest.get("episodes_per_individual", 2),
            validation_episodes=honest.get("validation_episodes", 8),
            heldout_every=honest.get("heldout_every", 10), test_episodes=honest.get("test_episodes", 16),
        )
        for key, value in overrides.items():
            if not hasattr(settings, key):
                raise ConfigError(f"unknown pre-training setting {key!r}")
            setattr(settings, key, value)
        return settings.validate()

    def validate(self):
        """Raise :class:`ConfigError` naming the first setting that cannot work; return self."""
        for name in ("episode_steps", "episodes_per_individual", "es_population", "es_episode_steps",
                     "ga_population", "ga_episode_steps", "validation_episodes", "heldout_every",
                     "test_episodes", "processes"):
            check_integer(f"pre-training setting {name}", getattr(self, name), minimum=1)
        for name in ("es_epochs", "ga_generations", "finetune_epochs", "es_transient_steps", "es_windows",
                     "ga_elites", "seed"):
            check_integer(f"pre-training setting {name}", getattr(self, name), minimum=0)
        for name in ("finetune_sigma", "finetune_learning_rate"):
            check_real(f"pre-training setting {name}", getattr(self, name), above=0)
        if self.neural_steps_per_env_step is not None:
            from ..control.controller import check_neural_steps

            check_neural_steps(self.neural_steps_per_env_step)
        if not 1 <= self.es_windows <= self.es_episode_steps - self.es_transient_steps:
            raise ConfigError(f"es_windows must be in [1, es_episode_steps - es_transient_steps], got {self.es_windows}")
        if not 0 <= self.es_transient_steps < self.es_episode_steps:
            raise ConfigError(f"es_transient_steps must be in [0, es_episode_steps), got {self.es_transient_steps}")
        for name in ("finetune_sigma", "finetune_learning_rate"):
            if not float(getattr(self, name)) > 0:
                raise ConfigError(f"pre-training setting {name} must be > 0, got {getattr(self, name)!r}")
        for name in ("gap_junctions", "common_seeds"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.es_population % 2:
            raise ConfigError(f"es_population must be even (antithetic sampling), got {self.es_population}")
        if not 1 <= self.ga_elites < self.ga_population:
            raise ConfigError(f"ga_elites must be in [1, ga_population), got {self.ga_elites}")
        return self


def _circuit(settings):
    from ..connectome import NAMED_CIRCUITS, load_connectome, named_circuit

    if settings.circuit not in NAMED_CIRCUITS:
        raise ConfigError(f"circuit must be one of {', '.join(NAMED_CIRCUITS)}, got {settings.circuit!r}")
    return named_circuit(load_connectome(settings.connectome), settings.circuit)


def _evaluator(settings, circuit, layout, episode_steps):
    from ..control import ClosedLoopEvaluator

    return ClosedLoopEvaluator(circuit, settings.model, settings.task, episode_steps=episode_steps,
                               neural_steps_per_env_step=settings.neural_steps_per_env_step, layout=layout,
                               gap_junctions=bool(settings.gap_junctions))


def _parallel(settings, population):
    if settings.processes <= 1:
        return {}
    return {"map": "process", "workers": settings.processes, "batch_size": -(-population // settings.processes)}


def save_worm(path, genome, settings, layout, **extra):
    """Write a worm file (:mod:`neuroworm.worm_file`) with these pre-training settings.

    The ``.npz`` holds ``genome`` (D,), ``settings`` (JSON of
    :class:`PretrainSettings`), ``layout`` (JSON: per_neuron, slices) and
    any ``extra`` arrays (e.g. ``test_returns``).
    """
    from ..worm_file import write_worm_file

    return write_worm_file(path, genome, asdict(settings), layout, **extra)


def load_worm(path):
    """Read a worm written by :func:`save_worm`.

    Returns
    -------
    genome : numpy.ndarray, shape (D,)
    settings : PretrainSettings
    circuit : Circuit
    layout : GenomeLayout
        Checked against the stored slices.

    Raises
    ------
    ConfigError
        If the file lacks a key, holds settings that are not pre-training
        settings, or its layout does not match the rebuilt one.
    """
    from ..worm_file import read_worm_file

    worm = read_worm_file(path)
    try:
        settings = PretrainSettings(**worm.settings)
    except TypeError as error:
        raise ConfigError(f"{path}: settings are not pre-training settings ({error})") from None
    return worm.genome, settings, worm.circuit, worm.layout


def _log(message, stream):
    if stream is not None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=stream, flush=True)


def pretrain(settings, out, resume=False, progress=False, log=None):
    """ES pre-training then GA fine-tuning; both stages checkpointed and resumable.

    Parameters
    ----------
    settings : PretrainSettings
    out : str or pathlib.Path
        Folder: ``settings.json``; ``es/`` and ``ga/`` with ``checkpoint``,
        ``logbook.csv`` and ``worm.npz`` each; ``worm.npz`` (the final worm,
        with its ``test_returns``) and ``test.json``.
    resume : bool
        Continue an interrupted run (the settings must be equal, except the
        epoch and generation counts, which may grow). A finished stage is
        not re-run.
    progress : bool
        Show progress bars.
    log : file-like, optional
        Where to print one line per stage (e.g. ``sys.stdout``).

    Returns
    -------
    dict
        ``{"es": path, "ga": path, "worm": path, "test_returns": [...], "test_mean": float, "test_std": float}``.

    Raises
    ------
    ConfigError
        Invalid settings, or ``resume`` with different settings.
    """
    settings.validate()
    _preflight(settings)
    # a setting added after the run was saved reads as its default, which is what that run did
    folder = RunFolder(out, grows={"es_epochs", "ga_generations", "finetune_epochs", "processes"},
                       defaults=asdict(PretrainSettings()))
    with folder.open(asdict(settings), resume):
        return _pretrain(settings, folder.path, progress, log)


_BYTES_PER_BODY = 65536
"""One simulated body and its network's state (measured 15 KiB for a Swimmer-v5 body; as the evaluator's estimate)."""


def _preflight(settings):
    """Every check that can refuse a pre-training run, made before its folder is touched.

    The connectome, circuit, model and task are resolved (an unknown task id
    is refused here, not after ``settings.json`` is written), and the larger
    population's memory is estimated as ``neuroworm evolve`` does.
    """
    from ..tasks import task_dimensions
    from .evolve import _bytes_per_individual

    layout = pretraining_layout(_circuit(settings), settings.model, *task_dimensions(settings.task))
    population = max(settings.es_population, settings.ga_population)
    bodies = population * settings.episodes_per_individual  # P·m bodies simulated in one batched call
    require_memory(population * _bytes_per_individual(layout) + bodies * _BYTES_PER_BODY,
                   f"a population of {population} x {settings.episodes_per_individual} episodes")


def _pretrain(settings, out, progress, log):
    """The stages of :func:`pretrain`, in a locked run folder that holds its settings."""
    from .. import evolve
    from ..seeding import make_rng
    from ..tasks import task_dimensions

    circuit = _circuit(settings)
    layout = pretraining_layout(circuit, settings.model, *task_dimensions(settings.task))
    expansion = shared_expansion(layout)
    es_rng, ga_rng, init_rng, finetune_rng = make_rng(settings.seed).spawn(4)  # the first three as before: spawn keys
    validation = HeldoutReturns(_evaluator(settings, circuit, layout, settings.episode_steps),
                                heldout_seeds(settings.validation_episodes, "validation"))

    # ---- stage 1: OpenAI-ES on shared weights, neuron constants, encoder and decoder (A.2, A.3.2)
    es_dir = out / "es"
    es_dir.mkdir(exist_ok=True)
    center = expansion.reduce(layout.random(1, seed=init_rng)[0])
    strategy = evolve.OpenAIES(
        center, population_size=settings.es_population, sigma=settings.es_sigma,
        learning_rate=settings.es_learning_rate, sigma_decay=settings.es_decay,
        learning_rate_decay=settings.es_decay, groups=expansion.search_groups(layout.mutation_groups()),
        expand=expansion, seed=es_rng,
    )
    fitness = MultiEpisodeFitness(_evaluator(settings, circuit, layout, settings.es_episode_steps),
                                  settings.episodes_per_individual, settings.es_transient_steps, settings.es_windows)
    _log(f"ES: {settings.es_epochs} epochs, P={settings.es_population} x m={settings.episodes_per_individual} "
         f"episodes of {settings.es_episode_steps} steps, search size {expansion.search_size}", log)
    best = ValidatedBest(validation, es_dir / "best.npz",
                         lambda path, genome, **arrays: save_worm(path, genome, settings, layout, **arrays))
    result = _run_stage(strategy, fitness, settings.es_epochs, settings.seed, es_dir, settings,
                        settings.es_population, best, progress)
    es_genome, chosen = _validated_product(result, best)
    save_worm(es_dir / "worm.npz", es_genome, settings, layout)
    _log(f"ES done: validation {_last_heldout(result)}; the GA starts from {chosen}", log)

    # ---- stage 2: elite GA on every synapse, from the ES product (A.3.1)
    ga_dir = out / "ga"
    ga_dir.mkdir(exist_ok=True)
    ga = evolve.EliteGA(
        es_genome, population_size=settings.ga_population, n_elites=settings.ga_elites,
        groups=layout.mutation_groups(), mutation_rate=settings.ga_mutation_rate,
        mutation_decay=settings.ga_mutation_decay, seed=ga_rng,
    )
    fitness = MultiEpisodeFitness(_evaluator(settings, circuit, layout, settings.ga_episode_steps),
                                  settings.episodes_per_individual)
    ga_genome = es_genome
    if settings.ga_generations:
        result = _run_stage(ga, fitness, settings.ga_generations, settings.seed + 1, ga_dir, settings,
                            settings.ga_population, validation, progress)
        ga_genome = np.asarray(result.best, dtype=np.float64)
        _log(f"GA done: validation {_last_heldout(result)}", log)
    save_worm(ga_dir / "worm.npz", ga_genome, settings, layout)

    # ---- stage 3 (optional, not the paper's): OpenAI-ES on every gene from the GA product
    final_genome = ga_genome
    if settings.finetune_epochs:
        finetune_dir = out / "finetune"
        finetune_dir.mkdir(exist_ok=True)
        tuner = evolve.OpenAIES(
            ga_genome, population_size=settings.es_population, sigma=settings.finetune_sigma,
            learning_rate=settings.finetune_learning_rate, groups=layout.mutation_groups(), seed=finetune_rng,
        )
        _log(f"fine-tuning: {settings.finetune_epochs} ES epochs on all {layout.size} genes, "
             f"sigma {settings.finetune_sigma}, learning rate {settings.finetune_learning_rate}", log)
        result = _run_stage(tuner, fitness, settings.finetune_epochs, settings.seed + 2, finetune_dir, settings,
                            settings.es_population, validation, progress)
        final_genome = np.asarray(result.strategy.center_genome, dtype=np.float64)  # the last centre: see finetune()
        save_worm(finetune_dir / "worm.npz", final_genome, settings, layout)
        _log(f"fine-tuning done: validation {_last_heldout(result)}", log)

    # ---- the report: test seeds, never used to train or choose
    test = HeldoutReturns(validation.evaluator, heldout_seeds(settings.test_episodes, "test"))
    test_returns = np.asarray(test(final_genome), dtype=np.float64)
    worm = save_worm(out / "worm.npz", final_genome, settings, layout, test_returns=test_returns)
    summary = {"test_seeds": test.seeds, "test_returns": test_returns.tolist(),
               "test_mean": float(test_returns.mean()), "test_std": float(test_returns.std())}
    (out / "test.json").write_text(json.dumps(summary, indent=2) + "\n")
    _log(f"test ({settings.test_episodes} held-out seeds): {summary['test_mean']:.1f} ± {summary['test_std']:.1f}", log)
    return {"es": es_dir / "worm.npz", "ga": ga_dir / "worm.npz", "worm": worm, **summary}


def _run_stage(strategy, fitness, generations, seed, folder, settings, population, validation, progress):
    """Run one stage in ``folder`` (resuming from its checkpoint), write its logbook, return the result."""
    from .. import evolve

    checkpoint = folder / "checkpoint"
    result = evolve.run(strategy, fitness, generations, seed=seed, checkpoint=checkpoint,
                        resume=checkpoint.exists(), progress=progress, heldout=validation,
                        heldout_every=settings.heldout_every, common_seeds=settings.common_seeds,
                        logbook_csv=folder / "logbook.csv", **_parallel(settings, population))
    result.to_csv(folder / "logbook.csv")
    return result


def _validated_product(result, best):
    """An ES stage's product: its best-validated mean, or the last mean where no validation was kept.

    ``best.npz`` is absent only in runs whose stage finished before products were chosen on validation.
    """
    from ..worm_file import read_worm_file

    if best.path.exists():
        return read_worm_file(best.path).genome, f"the best-validated mean ({best.best_mean:.1f})"
    return np.asarray(result.strategy.center_genome, dtype=np.float64), "the last mean (a run from before best.npz)"


def _last_heldout(result):
    frame = result.logbook_frame()
    if "heldout_mean" not in frame:
        return "n/a"
    rows = frame.dropna(subset=["heldout_mean"])
    if rows.empty:
        return "n/a"
    last = rows.iloc[-1]
    return f"{last['heldout_mean']:.1f} ± {last['heldout_std']:.1f} (generation {int(last['gen'])})"


class ValidatedBest:
    """Held-out scoring that also keeps the best-validated genome in a worm file.

    Wraps a :class:`HeldoutReturns` (validation seeds): each call scores the
    genome, and when its mean validation return beats the file's (or there is
    no file yet) the genome is written to ``path`` with its
    ``validation_returns``. Ties keep the earlier genome, so re-scoring the
    same genome after a resume leaves the file as it was.

    Parameters
    ----------
    heldout : HeldoutReturns
    path : pathlib.Path
    write : callable
        ``write(path, genome, **arrays)``, e.g. a :func:`save_worm` with the
        run's settings and layout bound.
    """

    def __init__(self, heldout, path, write):
        self.heldout = heldout
        self.path = Path(path)
        self.write = write
        self._best_mean = None

    @property
    def best_mean(self):
        """Mean validation return of the kept genome (``-inf`` before the first); read from the file once."""
        if self._best_mean is None:
            self._best_mean = -np.inf
            if self.path.exists():  # only the returns: no need to rebuild the worm's circuit
                with np.load(self.path, allow_pickle=False) as kept:
                    self._best_mean = float(np.mean(kept["validation_returns"]))
        return self._best_mean

    def __call__(self, genome):
        returns = np.asarray(self.heldout(genome), dtype=np.float64)
        if np.all(np.isfinite(returns)) and returns.mean() > self.best_mean:
            self.write(self.path, np.asarray(genome, dtype=np.float64), validation_returns=returns)
            self._best_mean = float(returns.mean())
        return returns


def run_until_validation_stops(strategy, fitness, max_generations, *, validation, checkpoint, heldout_every,
                               patience=None, seed=None, **run_options):
    """Run a strategy until its validation curve has stopped rising, or for ``max_generations``.

    The run goes in chunks of ``heldout_every`` generations (resumed from
    ``checkpoint``, so the result equals one uninterrupted run of the same
    length). After each chunk, if the best validation mean is ``patience``
    or more validations old, the run stops: the stage is stopped by its
    validation curve, not by a hand-picked epoch. ``validation`` is usually
    a :class:`ValidatedBest`, which keeps the best-validated product.

    Parameters
    ----------
    strategy : Strategy
    fitness : callable
        The training fitness (e.g. :class:`MultiEpisodeFitness`).
    max_generations : int
        Upper bound on the generations.
    validation : callable
        ``validation(genome) -> returns`` on fixed validation seeds.
    checkpoint : pathlib.Path
        Checkpoint file; an existing one is resumed.
    heldout_every : int
        Generations between validations.
    patience : int, optional
        Validations without a new best before stopping; ``None`` runs all
        ``max_generations``.
    seed : int, optional
        The run's seed (:func:`neuroworm.evolve.run`).
    **run_options
        Passed to :func:`neuroworm.evolve.run` (``common_seeds``, ``progress``, ...).

    Returns
    -------
    result : EvolutionResult
    stop : dict
        ``generations`` (run), ``best_generation`` (0-based, of the best
        validation mean), ``best_validation`` and ``validation_stalled``
        (whether the last ``patience`` validations were below the best: the
        curve had flattened when the run ended).

    Raises
    ------
    ConfigError
        For ``max_generations``, ``heldout_every`` or ``patience`` below 1.
    """
    from .. import evolve

    for name, value in (("max_generations", max_generations), ("heldout_every", heldout_every),
                        ("patience", 1 if patience is None else patience)):
        if int(value) < 1:
            raise ConfigError(f"run_until_validation_stops: {name} must be at least 1, got {value!r}")
    max_generations, every = int(max_generations), int(heldout_every)
    step = max_generations if patience is None else every
    generations = min(max_generations, step if patience is None else every * (int(patience) + 1))
    checkpoint = Path(checkpoint)
    while True:
        result = evolve.run(strategy, fitness, generations, seed=seed, checkpoint=checkpoint,
                            resume=checkpoint.exists(), heldout=validation, heldout_every=every, **run_options)
        validated = result.logbook_frame().dropna(subset=["heldout_mean"])
        best_row = validated.loc[validated["heldout_mean"].idxmax()] if len(validated) else None
        stale = 0 if best_row is None else int((validated["gen"] > best_row["gen"]).sum())
        stopped = patience is not None and stale >= int(patience)
        if stopped or generations >= max_generations:
            break
        generations = min(max_generations, generations + step)
    stop = {"generations": int(generations), "validation_stalled": bool(stopped),
            "best_generation": None if best_row is None else int(best_row["gen"]),
            "best_validation": None if best_row is None else float(best_row["heldout_mean"])}
    return result, stop


def _sha256(path):
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def finetune(worm, out, epochs, *, population=200, sigma=0.02, learning_rate=0.01, episodes=None,
             common_seeds=True, seed=0, processes=1, resume=False, progress=False, log=None, steady=None):
    """Fine-tune every gene of a saved worm by OpenAI-ES; hand back the last centre.

    The search starts at the worm's genome (any worm file: a pre-training
    run's product, a bundled worm). Each epoch samples ``population``
    antithetic offspring at ``sigma``, scores each by its mean plain return
    over ``episodes`` training episodes (by default with common random
    numbers: the whole epoch meets the same reset seeds) and takes an Adam
    step. The starting worm and, every ``heldout_every`` epochs (the worm's
    setting), the centre are scored on the validation seeds, for the
    logbook; the product is the last centre, scored once on the test seeds.

    The product is not the best-validated centre, as the ES stage of
    :func:`pretrain` is: there the training objective (short or windowed
    episodes) differs from the return, here it is the return itself, and
    the best of many 8-episode validations of centres a few points apart
    picks luck. Measured on the bundled Swimmer-v5 worm's run: the centre
    that validated best (145.9 at epoch 179) scored 137.1 ± 6.6 on the test
    seeds, the last one (validation 140.7) 141.2 ± 6.9.

    Parameters
    ----------
    worm : str or pathlib.Path
        Worm file (:func:`save_worm`); its settings (connectome, model,
        task, episode length, validation and test seeds) are kept.
    out : str or pathlib.Path
        Folder: ``settings.json``, ``finetune/`` (``checkpoint``,
        ``logbook.csv``), ``worm.npz`` (the product, with ``test_returns``,
        ``validation_returns`` and a ``finetuned_from`` JSON record) and
        ``test.json``.
    epochs : int
        Total epochs; may grow on ``resume``.
    population, sigma, learning_rate : int, float, float
        OpenAI-ES settings (antithetic, centred ranks, Adam).
    episodes : int, optional
        m, training episodes per offspring (default: the worm's).
    common_seeds : bool
        Common random numbers (see :func:`neuroworm.evolve.run`).
    seed : int
        The run's seed.
    processes : int
        Worker processes per epoch.
    resume : bool
        Continue the run in ``out``; only ``epochs`` and ``processes`` may
        change, and the worm file must be the same (SHA-256).
    progress : bool
        Show a progress bar.
    log : file-like, optional
        Where to print one line per step.
    steady : float, optional
        Train on a steadiness-aware score (:class:`MultiEpisodeFitness`'s
        ``steady``): the return, less what the gait loses from the first
        quarter to the last below this fraction. Validation and test stay
        plain returns.

    Returns
    -------
    dict
        ``worm`` (path), ``epochs``, ``start_validation_mean``,
        ``validation_mean`` (the product's), ``test_returns``,
        ``test_mean``, ``test_std``.

    Raises
    ------
    ConfigError
        An unreadable worm, invalid settings, an existing run without
        ``resume``, or a resume with other settings or another worm.
    """
    # every number checked before the worm is read and before the folder is touched
    for name, value in (("epochs", epochs), ("population", population), ("processes", processes)):
        check_integer(f"fine-tuning setting {name}", value, minimum=1)
    check_integer("fine-tuning setting seed", seed, minimum=0)
    if episodes is not None:
        check_integer("fine-tuning setting episodes", episodes, minimum=1)
    check_real("fine-tuning setting sigma", sigma, above=0)
    check_real("fine-tuning setting learning_rate", learning_rate, above=0)
    if population % 2:
        raise ConfigError(f"fine-tuning population must be even (antithetic sampling), got {population}")
    genome, source, circuit, layout = load_worm(worm)
    from .evolve import _bytes_per_individual

    m = source.episodes_per_individual if episodes is None else episodes
    require_memory(population * (_bytes_per_individual(layout) + m * _BYTES_PER_BODY),
                   f"a population of {population} x {m} episodes")
    run_settings = {"worm_sha256": _sha256(worm), "epochs": int(epochs), "population": int(population),
                    "sigma": float(sigma), "learning_rate": float(learning_rate),
                    "episodes_per_individual": int(source.episodes_per_individual if episodes is None else episodes),
                    "common_seeds": bool(common_seeds), "seed": int(seed), "processes": int(processes)}
    if steady is not None:  # absent when off, so run folders from before the option still resume
        check_real("fine-tuning setting steady", steady, above=0, maximum=1)
        run_settings["steady"] = float(steady)
    folder = RunFolder(out, grows={"epochs", "processes"})
    with folder.open(run_settings, resume, extra={"worm": str(worm)}):
        return _finetune(worm, folder.path, genome, source, circuit, layout, run_settings, progress, log)


def _finetune(worm, out, genome, source, circuit, layout, run_settings, progress, log):
    """The fine-tuning of :func:`finetune`, in a locked run folder that holds its settings."""
    from dataclasses import replace

    from .. import evolve

    epochs, population, seed = run_settings["epochs"], run_settings["population"], run_settings["seed"]
    sigma, learning_rate = run_settings["sigma"], run_settings["learning_rate"]
    common_seeds = run_settings["common_seeds"]
    stage = replace(source, processes=run_settings["processes"], common_seeds=run_settings["common_seeds"],
                    episodes_per_individual=run_settings["episodes_per_individual"])
    validation = HeldoutReturns(_evaluator(source, circuit, layout, source.episode_steps),
                                heldout_seeds(source.validation_episodes, "validation"))
    start_returns = np.asarray(validation(genome), dtype=np.float64)
    _log(f"fine-tuning {worm}: validation {start_returns.mean():.1f} ± {start_returns.std():.1f} at the start; "
         f"{epochs} ES epochs on all {layout.size} genes, P={population} x m={stage.episodes_per_individual}, "
         f"sigma {sigma}, learning rate {learning_rate}, common seeds {bool(common_seeds)}"
         + (f", steadiness-aware score (fraction {run_settings['steady']})" if "steady" in run_settings else ""), log)
    tuner = evolve.OpenAIES(genome, population_size=population, sigma=sigma, learning_rate=learning_rate,
                            groups=layout.mutation_groups(), seed=seed)
    fitness = MultiEpisodeFitness(_evaluator(source, circuit, layout, source.episode_steps),
                                  stage.episodes_per_individual, steady=run_settings.get("steady"))
    folder = out / "finetune"
    folder.mkdir(exist_ok=True)
    result = _run_stage(tuner, fitness, epochs, seed, folder, stage, population, validation, progress)

    product = np.asarray(result.strategy.center_genome, dtype=np.float64)
    validation_returns = np.asarray(validation(product), dtype=np.float64)  # the logbook's last heldout row
    test = HeldoutReturns(validation.evaluator, heldout_seeds(source.test_episodes, "test"))
    test_returns = np.asarray(test(product), dtype=np.float64)
    record = {**run_settings, "worm": str(worm), "start_validation_mean": float(start_returns.mean())}
    path = save_worm(out / "worm.npz", product, source, layout, test_returns=test_returns,
                     validation_returns=validation_returns, finetuned_from=np.array(json.dumps(record)))
    summary = {"epochs": int(epochs), "start_validation_mean": float(start_returns.mean()),
               "validation_mean": float(validation_returns.mean()),
               "test_seeds": test.seeds, "test_returns": test_returns.tolist(),
               "test_mean": float(test_returns.mean()), "test_std": float(test_returns.std())}
    (out / "test.json").write_text(json.dumps(summary, indent=2) + "\n")
    _log(f"fine-tuning done: validation {start_returns.mean():.1f} -> {summary['validation_mean']:.1f}; "
         f"test ({source.test_episodes} held-out seeds): {summary['test_mean']:.1f} ± {summary['test_std']:.1f}", log)
    return {"worm": path, **summary}
