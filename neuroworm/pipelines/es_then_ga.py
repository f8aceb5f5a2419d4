"""ES pre-training, then the elite GA, with held-out curves: the two-stage run of Schmidgall et al. (2023), A.2.

OpenAI-ES first tunes shared weights, neuron constants and the encoder/decoder
(A.3.2), then the elite GA evolves every synapse (A.3.1) from the pre-trained
genome. :func:`pretrain_then_evolve` runs that chain for any circuit, neuron
model and backend with the building blocks of
:mod:`neuroworm.pipelines.pretraining` (shared expansion, m-episode fitness,
held-out returns) and returns per-generation curves: the population's mean
training fitness, and the hall-of-fame best re-evaluated on *validation* seeds
no training episode used (``heldout_mean`` / ``heldout_std``); the final best
genome is scored once on separate *test* seeds.

The strategies' settings come from ``models/<settings>.toml``: its
``[evolution_strategies]`` table, its ``[genetic_algorithm.<experiment>]``
table and ``[network] gap_junctions``. Paper items
(:mod:`neuroworm.papers.schmidgall2023`, :mod:`neuroworm.papers.priors`) call it
with their sizes; nothing here knows a paper's item.
"""

import time
from pathlib import Path

import numpy as np

__all__ = ["pretrain_then_evolve", "settings_gap_junctions"]


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


def pretrain_then_evolve(circuit, model, task, *, sizes, experiment, seed=0, backend=None, out=None,
                         gap_junctions=None, settings="schmidgall2023"):
    """ES pre-training then the elite GA, with held-out curves (see the module docstring).

    Parameters
    ----------
    circuit : Circuit
    model : {"alif", "izhikevich", "lif", "relu"}
    task : str
        Gymnasium id.
    sizes : dict
        ``episode_steps``, ``es_population``, ``es_epochs``, ``ga_population``,
        ``ga_generations``, ``elites``, ``episodes_per_individual``,
        ``heldout_episodes``, ``heldout_every``, ``test_episodes`` (as
        :data:`neuroworm.papers.schmidgall2023.SCALE_SIZES` entries).
    experiment : str
        GA table of ``models/<settings>.toml`` (``varying_biophysical_realism``,
        ``architectural_statistics``, ``limitations_of_priors``).
    seed : int
        Seeds the initial genome, both strategies and their training episodes.
    backend : str, optional
        Default: the model's ``default_backend`` (:mod:`neuroworm.neurons.models`).
    out : pathlib.Path, optional
        Folder for both stages' checkpoints (a rerun resumes) and logbooks.
    gap_junctions : bool, optional
        Simulate the circuit's gap junctions; default :func:`settings_gap_junctions`
        (the paper has chemical synapses only).
    settings : str
        Settings file under ``models/`` (default ``schmidgall2023``).

    Returns
    -------
    dict
        ``curve`` (DataFrame: stage, generation, mean, best, heldout_mean,
        heldout_std), ``test_returns`` (ndarray), ``genome`` (the final best),
        ``seconds``.
    """
    import pandas as pd

    from .. import evolve
    from ..control.evaluator import ClosedLoopEvaluator
    from ..neurons.models import model_class
    from ..seeding import make_rng
    from ..tasks import task_dimensions
    from .pretraining import HeldoutReturns, MultiEpisodeFitness, heldout_seeds, pretraining_layout, shared_expansion

    started = time.perf_counter()
    backend = backend or model_class(model).default_backend
    gap_junctions = settings_gap_junctions(settings) if gap_junctions is None else bool(gap_junctions)
    layout = pretraining_layout(circuit, model, *task_dimensions(task))
    expansion = shared_expansion(layout)
    es_rng, ga_rng, init_rng = make_rng(seed).spawn(3)

    def evaluator():
        return ClosedLoopEvaluator(circuit, model, task, backend=backend, episode_steps=sizes["episode_steps"],
                                   layout=layout, gap_junctions=gap_junctions)

    training = MultiEpisodeFitness(evaluator(), sizes["episodes_per_individual"])
    validation = HeldoutReturns(evaluator(), heldout_seeds(sizes["heldout_episodes"], "validation"))
    es = _settings(settings)["evolution_strategies"]
    strategy = evolve.OpenAIES(
        expansion.reduce(layout.random(1, seed=init_rng)[0]), population_size=sizes["es_population"],
        sigma=es["sigma"], learning_rate=es["learning_rate"], sigma_decay=es["sigma_decay"],
        learning_rate_decay=es["learning_rate_decay"], groups=expansion.search_groups(layout.mutation_groups()),
        expand=expansion, seed=es_rng,
    )
    checkpoints = {}
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        checkpoints = {stage: out / f"{stage}_checkpoint" for stage in ("es", "ga")}
    frames = []
    common = {"progress": False, "heldout": validation, "heldout_every": sizes["heldout_every"]}
    if sizes["es_epochs"]:
        result = evolve.run(strategy, training, sizes["es_epochs"], seed=seed, checkpoint=checkpoints.get("es"),
                            resume=bool(checkpoints) and checkpoints["es"].exists(), **common)
        frames.append(result.logbook_frame().assign(stage="es"))
        pretrained = np.asarray(result.strategy.center_genome, dtype=np.float64)
    else:
        pretrained = np.asarray(strategy.center_genome, dtype=np.float64)  # no pre-training: the initial genome
    ga_table = _settings(settings)["genetic_algorithm"][experiment]
    ga = evolve.EliteGA(
        pretrained, population_size=sizes["ga_population"], n_elites=sizes["elites"],
        groups=layout.mutation_groups(), mutation_rate=dict(ga_table["mutation_rate"]),
        mutation_decay=dict(ga_table["mutation_decay"]), seed=ga_rng,
    )
    result = evolve.run(ga, training, sizes["ga_generations"], seed=seed + 1, checkpoint=checkpoints.get("ga"),
                        resume=bool(checkpoints) and checkpoints["ga"].exists(), **common)
    frames.append(result.logbook_frame().assign(stage="ga"))
    best = np.asarray(result.best, dtype=np.float64)
    test = HeldoutReturns(validation.evaluator, heldout_seeds(sizes["test_episodes"], "test"))
    test_returns = np.asarray(test(best), dtype=np.float64)
    curve = pd.concat(frames, ignore_index=True).rename(columns={"gen": "generation"})
    if out is not None:
        curve.to_csv(out / "logbook.csv", index=False)
    return {"curve": curve, "test_returns": test_returns, "genome": best, "seconds": time.perf_counter() - started}
