"""ES pre-training, then the elite GA, with held-out curves: the two-stage run of Schmidgall et al. (2023), A.2.

OpenAI-ES first tunes shared weights, neuron constants and the encoder/decoder
(A.3.2), then the elite GA evolves every synapse (A.3.1) from the pre-trained
genome. :func:`pretrain_then_evolve` runs that chain for any circuit, neuron
model and backend with the building blocks of
:mod:`neuroworm.pipelines.pretraining` (shared expansion, m-episode fitness,
held-out returns) and returns per-generation curves: the population's mean
training fitness, and the strategy's product (the ES mean, the GA's
hall-of-fame best) scored on *validation* seeds no training episode used
(``heldout_mean`` / ``heldout_std``). The ES stage stops on its validation
curve (``es_patience``, :func:`~neuroworm.pipelines.pretraining.run_until_validation_stops`)
and hands the GA its best-validated mean; the GA's product is its
best-validated hall-of-fame genome. Both products are scored once on separate
*test* seeds.

The strategies' settings come from ``models/<settings>.toml``: its
``[evolution_strategies]`` table, its ``[genetic_algorithm.<experiment>]``
table and ``[network] gap_junctions``. Paper items
(:mod:`neuroworm.papers.schmidgall2023`, :mod:`neuroworm.papers.priors`) call it
with their sizes; nothing here knows a paper's item.
"""

import tempfile
import time
from contextlib import ExitStack, nullcontext
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["evaluation_map", "pretrain_then_evolve", "settings_gap_junctions", "worm_settings"]


def _settings(settings):
    from .config import load_experiment_config

    return load_experiment_config(settings)


def settings_gap_junctions(settings="schmidgall2023"):
    """Whether ``models/<settings>.toml`` simulates gap junctions: its ``[network] gap_junctions`` (default false).

    Parameters
    ----------
    settings : str
        Name of a settings file under ``models/``.

    Returns
    -------
    bool
    """
    return bool(_settings(settings).get("network", {}).get("gap_junctions", False))


def evaluation_map(dask=None, batch_size=None):
    """The ``map``/``batch_size`` options of :func:`neuroworm.evolve.run` that spread a population over Dask.

    Parameters
    ----------
    dask : str, optional
        ``"local"`` starts a ``dask.distributed.LocalCluster`` (one worker
        per CPU) for each stage; an address such as ``tcp://host:8786`` uses
        that scheduler's workers; ``None`` evaluates in this process.
    batch_size : int, optional
        Genomes per Dask task (default in :func:`pretrain_then_evolve`: one
        task per worker the cluster has when the run starts). Results do not
        depend on it.

    Returns
    -------
    dict
        Keyword arguments for :func:`neuroworm.evolve.run` (empty without
        ``dask`` and ``batch_size``).

    Raises
    ------
    ConfigError
        For a ``dask`` that is neither ``"local"`` nor an address.
    """
    options = {} if batch_size is None else {"batch_size": int(batch_size)}
    if dask is None:
        return options
    if dask != "local" and "://" not in str(dask):
        raise ConfigError(f"dask must be 'local' or a scheduler address such as tcp://host:8786, got {dask!r}")
    return {"map": "dask" if dask == "local" else str(dask), **options}


def pretrain_then_evolve(circuit, model, task, *, sizes, experiment, seed=0, backend=None, out=None,
                         gap_junctions=None, settings="schmidgall2023", dask=None, batch_size=None, worm=None):
    """ES pre-training then the elite GA, with held-out curves (see the module docstring).

    Parameters
    ----------
    circuit : Circuit
    model : {"alif", "izhikevich", "lif", "relu"}
    task : str
        Gymnasium id.
    sizes : dict
        ``episode_steps``, ``es_population``, ``es_epochs`` (at most),
        ``ga_population``, ``ga_generations``, ``elites``,
        ``episodes_per_individual``, ``heldout_episodes``, ``heldout_every``,
        ``test_episodes`` (as :data:`neuroworm.papers.schmidgall2023.SCALE_SIZES`
        entries), and optionally ``es_patience`` (stop ES once that many
        validations in a row stay below the best; default: run every epoch)
        and ``common_seeds`` (common random numbers in ES; default false).
    experiment : str
        GA table of ``models/<settings>.toml`` (``varying_biophysical_realism``,
        ``architectural_statistics``, ``limitations_of_priors``).
    seed : int
        Seeds the initial genome, both strategies and their training episodes.
    backend : str, optional
        Default: the model's ``default_backend`` (:mod:`neuroworm.neurons.models`).
    out : pathlib.Path, optional
        Folder for both stages' checkpoints (a rerun resumes), their kept
        products (``es_best.npz``, ``ga_best.npz``) and the logbook; default
        a temporary folder.
    gap_junctions : bool, optional
        Simulate the circuit's gap junctions; default :func:`settings_gap_junctions`
        (the paper has chemical synapses only).
    settings : str
        Settings file under ``models/`` (default ``schmidgall2023``).
    dask, batch_size : optional
        Spread each generation's population over a Dask cluster
        (:func:`evaluation_map`); validation and test episodes stay in this
        process. The result equals the one of a run without ``dask``.
    worm : dict, optional
        ``{"connectome": NAME, "circuit": NAME}`` when ``circuit`` is a named
        circuit (:data:`neuroworm.connectome.NAMED_CIRCUITS`): with ``out``,
        the GA product is also written as a worm file, ``out/worm.npz``
        (:func:`worm_settings`; ``neuroworm evaluate`` re-scores its
        ``test_returns``).

    Returns
    -------
    dict
        ``curve`` (DataFrame: stage, generation, mean, best, heldout_mean,
        heldout_std), ``pretrained_returns`` (the ES product on the test
        seeds: where the GA starts), ``test_returns`` (the GA product on the
        test seeds), ``es_stop`` (``generations``, ``best_generation``,
        ``best_validation``, ``validation_stalled``), ``genome`` (the GA
        product), ``seconds``.
    """
    import pandas as pd

    from .. import evolve
    from ..control.evaluator import ClosedLoopEvaluator
    from ..evolve.parallel import open_map
    from ..neurons.models import model_class
    from ..seeding import make_rng
    from ..tasks import task_dimensions
    from .pretraining import (
        HeldoutReturns,
        MultiEpisodeFitness,
        ValidatedBest,
        heldout_seeds,
        pretraining_layout,
        run_until_validation_stops,
        shared_expansion,
    )

    started = time.perf_counter()
    backend = backend or model_class(model).default_backend
    gap_junctions = settings_gap_junctions(settings) if gap_junctions is None else bool(gap_junctions)
    layout = pretraining_layout(circuit, model, *task_dimensions(task))
    expansion = shared_expansion(layout)
    es_rng, ga_rng, init_rng = make_rng(seed).spawn(3)
    spread = evaluation_map(dask, batch_size)

    def evaluator():
        return ClosedLoopEvaluator(circuit, model, task, backend=backend, episode_steps=sizes["episode_steps"],
                                   layout=layout, gap_junctions=gap_junctions)

    training = MultiEpisodeFitness(evaluator(), sizes["episodes_per_individual"])
    validation = HeldoutReturns(evaluator(), heldout_seeds(sizes["heldout_episodes"], "validation"))
    test = HeldoutReturns(validation.evaluator, heldout_seeds(sizes["test_episodes"], "test"))
    es = _settings(settings)["evolution_strategies"]
    strategy = evolve.OpenAIES(
        expansion.reduce(layout.random(1, seed=init_rng)[0]), population_size=sizes["es_population"],
        sigma=es["sigma"], learning_rate=es["learning_rate"], sigma_decay=es["sigma_decay"],
        learning_rate_decay=es["learning_rate_decay"], groups=expansion.search_groups(layout.mutation_groups()),
        expand=expansion, seed=es_rng,
    )
    with ExitStack() as stack:
        folder = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="es_then_ga-") if out is None else nullcontext(out)))
        mapper = stack.enter_context(open_map(spread["map"])) if "map" in spread else None  # one cluster, both stages
        folder.mkdir(parents=True, exist_ok=True)
        frames = []
        es_stop = {"generations": 0, "best_generation": None, "best_validation": None, "validation_stalled": False}
        pretrained = np.asarray(strategy.center_genome, dtype=np.float64)  # no pre-training: the initial genome
        if sizes["es_epochs"]:
            es_best = ValidatedBest(validation, folder / "es_best.npz", _keep_genome)
            result, es_stop = run_until_validation_stops(
                strategy, training, sizes["es_epochs"], validation=es_best, checkpoint=folder / "es_checkpoint",
                heldout_every=sizes["heldout_every"], patience=sizes.get("es_patience"), seed=seed, progress=False,
                common_seeds=bool(sizes.get("common_seeds", False)),
                **_stage_spread(mapper, batch_size, sizes["es_population"]))
            frames.append(result.logbook_frame().assign(stage="es"))
            pretrained = _kept_genome(es_best.path, result.strategy.center_genome)
        ga_table = _settings(settings)["genetic_algorithm"][experiment]
        ga = evolve.EliteGA(
            pretrained, population_size=sizes["ga_population"], n_elites=sizes["elites"],
            groups=layout.mutation_groups(), mutation_rate=dict(ga_table["mutation_rate"]),
            mutation_decay=dict(ga_table["mutation_decay"]), seed=ga_rng,
        )
        ga_best = ValidatedBest(validation, folder / "ga_best.npz", _keep_genome)
        checkpoint = folder / "ga_checkpoint"
        result = evolve.run(ga, training, sizes["ga_generations"], seed=seed + 1, checkpoint=checkpoint,
                            resume=checkpoint.exists(), progress=False, heldout=ga_best,
                            heldout_every=sizes["heldout_every"],
                            **_stage_spread(mapper, batch_size, sizes["ga_population"]))
        frames.append(result.logbook_frame().assign(stage="ga"))
        best = _kept_genome(ga_best.path, result.best)
        curve = pd.concat(frames, ignore_index=True).rename(columns={"gen": "generation"})
        if out is not None:
            curve.to_csv(folder / "logbook.csv", index=False)
    pretrained_returns = np.asarray(test(pretrained), dtype=np.float64)
    test_returns = np.asarray(test(best), dtype=np.float64)
    if out is not None and worm is not None:
        from .pretraining import save_worm

        described = worm_settings(worm, model, task, sizes=sizes, experiment=experiment, seed=seed,
                                  gap_junctions=gap_junctions, es_epochs=es_stop["generations"], settings=settings)
        extra = {}
        if (Path(out) / "ga_best.npz").exists():
            with np.load(Path(out) / "ga_best.npz") as kept:
                extra = {"validation_returns": np.asarray(kept["validation_returns"], dtype=np.float64)}
        save_worm(Path(out) / "worm.npz", best, described, layout, test_returns=test_returns, **extra)
    return {"curve": curve, "pretrained_returns": pretrained_returns, "test_returns": test_returns,
            "es_stop": es_stop, "genome": best, "seconds": time.perf_counter() - started}


def worm_settings(worm, model, task, *, sizes, experiment, seed, gap_junctions, es_epochs=None,
                  settings="schmidgall2023"):
    """The :class:`~neuroworm.pipelines.pretraining.PretrainSettings` that describe one :func:`pretrain_then_evolve` run.

    What a worm file needs to rebuild the run's network and re-score it
    (connectome, circuit, model, task, gap junctions, episode length,
    validation and test seeds), and what the run did (sizes, ES and GA
    settings of ``models/<settings>.toml``). ES offspring scored one plain
    full episode each: no short episodes, transient or windows.

    Parameters
    ----------
    worm : dict
        ``connectome`` and ``circuit`` names.
    model, task : str
    sizes : dict
        As for :func:`pretrain_then_evolve`.
    experiment : str
        The GA table.
    seed : int
    gap_junctions : bool
    es_epochs : int, optional
        The ES epochs run (default ``sizes["es_epochs"]``).
    settings : str

    Returns
    -------
    PretrainSettings
    """
    from .pretraining import PretrainSettings

    table = _settings(settings)
    es, ga = table["evolution_strategies"], table["genetic_algorithm"][experiment]
    steps = int(sizes["episode_steps"])
    return PretrainSettings.from_paper(
        connectome=worm["connectome"], circuit=worm["circuit"], model=model, task=task,
        gap_junctions=bool(gap_junctions), episode_steps=steps, seed=int(seed),
        episodes_per_individual=int(sizes["episodes_per_individual"]), es_population=int(sizes["es_population"]),
        es_epochs=int(sizes["es_epochs"] if es_epochs is None else es_epochs), es_episode_steps=steps,
        es_transient_steps=0, es_windows=1, es_sigma=dict(es["sigma"]), es_learning_rate=dict(es["learning_rate"]),
        es_decay=dict(es["sigma_decay"]), ga_population=int(sizes["ga_population"]),
        ga_generations=int(sizes["ga_generations"]), ga_episode_steps=steps, ga_elites=int(sizes["elites"]),
        ga_mutation_rate=dict(ga["mutation_rate"]), ga_mutation_decay=dict(ga["mutation_decay"]),
        common_seeds=bool(sizes.get("common_seeds", False)), validation_episodes=int(sizes["heldout_episodes"]),
        heldout_every=int(sizes["heldout_every"]), test_episodes=int(sizes["test_episodes"]))


def _stage_spread(mapper, batch_size, population):
    """A stage's ``map``/``batch_size`` for :func:`neuroworm.evolve.run`: on a cluster, by default one batch per worker.

    Fewer, larger batches than Dask's usual four per worker: a batch of B bodies steps them together, and the
    cost per body rises at small B (measured on the 6-link body: 1.4x at B = 13, 2.3x at B = 4 for ALIF).
    """
    if mapper is None:
        return {} if batch_size is None else {"batch_size": int(batch_size)}
    size = int(batch_size) if batch_size is not None else -(-int(population) // max(1, mapper.workers or 1))
    return {"map": mapper.function, "batch_size": size}


def _keep_genome(path, genome, **arrays):
    """How :class:`~neuroworm.pipelines.pretraining.ValidatedBest` keeps a product here: a plain ``.npz``."""
    np.savez(path, genome=np.asarray(genome, dtype=np.float64), **arrays)


def _kept_genome(path, fallback):
    """The genome a ``ValidatedBest`` kept, or ``fallback`` when every validation diverged."""
    if not Path(path).exists():
        return np.asarray(fallback, dtype=np.float64)
    with np.load(path) as kept:
        return np.asarray(kept["genome"], dtype=np.float64)
