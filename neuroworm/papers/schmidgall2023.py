"""Schmidgall, Schuman & Parsa (2023), Figures 3 and 4: ``neuroworm reproduce schmidgall2023 fig3|fig4``.

Both figures train a network in two stages (A.2): OpenAI-ES pre-training of
shared weights, tuned neuron constants and the encoder/decoder (A.3.2),
then the elite GA on every synapse (A.3.1), started from the pre-trained
genome. :func:`pretrain_then_evolve` runs that chain for any circuit, neuron
model and backend with the building blocks of
:mod:`neuroworm.pipelines.pretraining` (shared expansion, m-episode
fitness, validation and test seeds). The ES stage stops on its validation
curve (:func:`~neuroworm.pipelines.pretraining.run_until_validation_stops`)
and hands the GA its best-validated mean; the GA's product is its
best-validated hall-of-fame genome. Both products are scored once on the
*test* seeds: the pre-trained network (the paper's "initial performance",
where its GA curves start) and the final one.

An item function runs **one seed** (the runner, ``--seed S --seeds N``, pools
the per-seed files and judges the claims; :func:`fig3_assemble` and
:func:`fig4_assemble` draw the pooled figure). Each network's run is
checkpointed and cached in ``runs/schmidgall2023/ITEM/SCALE/`` (``work=``), so
an interrupted command resumes.

:func:`fig3` -- "varying biophysical realism": the locomotion circuit with
Izhikevich, ALIF and ReLU cells on ``neuroworm/Swimmer6-v0`` (the paper's
6-link swimmer) and ``Swimmer-v5``, GA settings ``varying_biophysical_realism``.
:func:`fig4` -- "architectural statistics": ReLU networks with the circuit's
statistics (random wiring), a fully connected two-hidden-layer MLP and a
sparse one with random density and E/I ratio
(:mod:`neuroworm.papers.architectures`), GA settings
``architectural_statistics``, on ``neuroworm/Swimmer6-v0``.

Scales (:data:`SCALE_SIZES`): ``small`` (a smoke run: 200-step episodes,
tiny populations); ``medium`` (the paper's 1000-step episodes; ES P = 20 for
at most 40 epochs with common random numbers, stopped by validation; GA
P = 20 with 2 elites for 10 generations); ``paper`` (A.3: ES P = 200 for 1000
epochs, GA P = 750; the GA's generation count is not in the paper's text, we
use 100).

Measured here, ``medium``: one ReLU network of Fig. 4 on
``neuroworm/Swimmer6-v0`` took 411 s (40 ES epochs at about 8 s, 10 GA
generations, validation and test) niced under a load average of 7-8 on the
2 cores; one Fig. 4 seed (3 networks) took 15 min at that load and about
5 min at a load of 3; one Fig. 3 seed on one body (Izhikevich K = 10 and ALIF
K = 4 cost about 2.5x and 1.2x ReLU per step) 15 min and 7.5 min. Both
bodies of a Fig. 3 seed can pass an hour on a busy machine, hence
``--task``: one command per (body, seed).

Measured with ``benchmarks/bench_schmidgall.py --steps-fraction 0.2`` on the
same machine (one other job running), seconds per ES epoch (P = 200) and per
GA generation (P = 750) of 1000-step episodes on ``neuroworm/Swimmer6-v0``:
ALIF 11.6 / 41.5, Izhikevich 25.2 / 115.1, ReLU 9.7 / 35.0 (the physics
alone: 7.8-8.2 / 26.9-37.5). One paper-scale run (1000 epochs + 100
generations) is 4.4, 10.2 and 3.7 h; Fig. 3 at paper scale on both bodies,
3 seeds, about 4.6 days; Fig. 4 (3 ReLU networks), 3 seeds, about 33 h.
``--dask ADDRESS|local`` scores each epoch's and generation's population on a
Dask cluster, one batch per worker (:func:`neuroworm.pipelines.es_then_ga.evaluation_map`):
with 16 workers a network takes about 30-54 min, Fig. 3 one (body, seed) about
2 h (``docs/papers/schmidgall2023.md`` has the table). A ``Swimmer-v5`` seed
at ``medium`` takes 4-9 min here, so that body has more seeds than the 6-link one.
"""

import json
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..neurons.models import ModelTable
from ..pipelines.es_then_ga import evaluation_map, pretrain_then_evolve, settings_gap_junctions

__all__ = ["FIG3_PAPER", "FIG4_PAPER", "SCALE_SIZES", "fig3", "fig3_assemble", "fig4", "fig4_assemble", "fig5",
           "fig5_assemble", "paper_gap_junctions", "pretrain_then_evolve"]

SCALE_SIZES = {
    "small": {"episode_steps": 200, "es_population": 16, "es_epochs": 6, "es_patience": None, "ga_population": 24,
              "ga_generations": 8, "elites": 4, "episodes_per_individual": 1, "heldout_episodes": 4,
              "heldout_every": 1, "test_episodes": 8, "common_seeds": False},
    "medium": {"episode_steps": 1000, "es_population": 20, "es_epochs": 40, "es_patience": 3, "ga_population": 20,
               "ga_generations": 10, "elites": 2, "episodes_per_individual": 1, "heldout_episodes": 8,
               "heldout_every": 4, "test_episodes": 16, "common_seeds": True},
    "paper": {"episode_steps": 1000, "es_population": 200, "es_epochs": 1000, "es_patience": None,
              "ga_population": 750, "ga_generations": 100, "elites": 8, "episodes_per_individual": 1,
              "heldout_episodes": 16, "heldout_every": 5, "test_episodes": 16, "common_seeds": False},
}
"""Sizes of each scale, per seed and network. ``paper``: A.3.1 and A.3.2 (the GA's generation count is ours).

``medium``: the paper's 1000-step episodes; ES P = 20 for at most 40 epochs, stopped once 3 validations in a
row (every 4 epochs, 8 validation seeds) stay below the best; GA P = 20 with 2 elites for 10 generations;
``common_seeds``: every ES offspring of an epoch meets the same reset seed (common random numbers). About
1,100 episodes per network and seed: 411 s for a ReLU network under this machine's usual load.
"""

FIG3_PAPER = {
    "initial_mean_return": {"izhikevich": 130.0, "alif": 100.0, "relu": 50.0},
    "final_return": {"izhikevich": 146.0, "alif": 146.0, "relu": 146.0},
    "claim": "the three models converge to similar values; more realistic models start higher "
             "(Izhikevich ~130, ALIF ~100, ReLU ~50); read from Fig. 3 and its text (approximate)",
    "episode_steps": 1000,
}
"""Fig. 3's numbers as the text gives them (the final values are read as "near 146", approximate)."""

FIG4_PAPER = {
    "final_return": {"statistics": {"mean": 146.4, "std": 3.5}, "mlp_full": {"mean": 96.2, "std": 13.6},
                     "mlp_sparse": {"mean": 63.7, "std": 17.2}},
    "initial_return": {"statistics": 22.0, "mlp_full": 0.0, "mlp_sparse": 0.0},
    "episode_steps": 1000,
}
"""Fig. 4's numbers from the text ("begin with a performance around 0 ... around 22")."""

BACKEND_OF_MODEL = ModelTable("default_backend", aliases=True)
"""Backend per neuron model, each registered model's ``default_backend`` (the NumPy reference gives the
spiking models' Brian2 returns bit for bit; ReLU runs on ``"relu"``)."""

TASK_LABELS = {"neuroworm/Swimmer6-v0": "swimmer6", "Swimmer-v5": "swimmer3"}
"""Short task names used in sample names (``swimmer6_alif_pretrained``)."""

LOCOMOTION_WORM = {"connectome": "cook2019_hermaphrodite", "circuit": "locomotion"}
"""Fig. 3's circuit by name: each network's run folder also gets its GA product as a worm file, ``worm.npz``
(``neuroworm evaluate`` re-scores it; ``models/alif_swimmer_v5.npz`` is one)."""

NEURAL_STEPS = ModelTable("neural_steps_per_env_step", aliases=True)
"""K, neural steps per environment step, each model's default (ours: the paper gives none)."""


def _sizes(scale, options):
    if scale not in SCALE_SIZES:
        raise ConfigError(f"scale must be one of {sorted(SCALE_SIZES)}, got {scale!r}")
    sizes = dict(SCALE_SIZES[scale])
    for key in list(options):
        if key in sizes:
            sizes[key] = options.pop(key)
    return sizes


def paper_gap_junctions():
    """Whether the paper's networks have gap junctions: ``[network] gap_junctions`` of the toml (false)."""
    return settings_gap_junctions("schmidgall2023")


def _work_folder(work, scale, item):
    """Where the runs' checkpoints go: ``work``, else ``runs/schmidgall2023/ITEM/SCALE`` beyond ``small``."""
    if work is not None:
        return Path(work)
    return None if scale == "small" else Path("runs") / "schmidgall2023" / item / scale


def _run_arm(entry, sizes, experiment, seed, work, gap_junctions, dask=None):
    """One network's run, cached in ``work/LABEL_TASK_seedS/result.json`` when ``work`` is given.

    ``dask`` (a scheduler address or "local") spreads each generation's population over that cluster; the run
    and its cache are the same as without it."""
    import pandas as pd

    folder = None
    if work is not None:
        folder = Path(work) / f"{entry['label']}_{entry['task'].replace('/', '_')}_seed{seed}"
        cached = folder / "result.json"
        if cached.exists():
            saved = json.loads(cached.read_text())
            if saved["sizes"] == sizes and saved["gap_junctions"] == gap_junctions:
                saved["curve"] = pd.read_csv(folder / "curve.csv")
                return saved
    result = pretrain_then_evolve(entry["circuit"], entry["model"], entry["task"], sizes=sizes,
                                  experiment=experiment, seed=seed, out=folder, gap_junctions=gap_junctions,
                                  dask=dask, worm=entry.get("worm"))
    summary = {"sizes": sizes, "gap_junctions": gap_junctions, "es_stop": result["es_stop"],
               "pretrained_returns": result["pretrained_returns"].tolist(),
               "test_returns": result["test_returns"].tolist(), "seconds": result["seconds"]}
    if folder is not None:
        result["curve"].to_csv(folder / "curve.csv", index=False)
        (folder / "result.json").write_text(json.dumps(summary, indent=1) + "\n")
    return {**summary, "curve": result["curve"]}


def _finite_mean(values):
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()) if values.size and np.isfinite(values).all() else float("nan")


def _run_networks(entries, sizes, experiment, seed, work, gap_junctions, dask=None):
    """Every network of one seed: the long curve table, one row of results per network, and the curves."""
    import pandas as pd

    frames, rows, curves = [], [], {}
    for entry in entries:
        result = _run_arm(entry, sizes, experiment, seed, work, gap_junctions, dask)
        curve = result["curve"]
        frames.append(curve.assign(network=entry["label"], task=entry["task"], seed=seed))
        key = f"{entry['label']}@{entry['task']}"
        curves[key] = {column: [None if not np.isfinite(v) else float(v) for v in curve[column]]
                       for column in ("generation", "mean", "heldout_mean")}
        curves[key]["stage"] = list(curve["stage"])
        rows.append({"network": entry["label"], "task": entry["task"], "seed": seed,
                     "pretrained_test_mean": _finite_mean(result["pretrained_returns"]),
                     "final_test_mean": _finite_mean(result["test_returns"]),
                     "final_test_std": float(np.std(result["test_returns"])),
                     "es_epochs": result["es_stop"]["generations"],
                     "es_best_epoch": result["es_stop"]["best_generation"],
                     "es_validation_stalled": result["es_stop"]["validation_stalled"],
                     "seconds": result["seconds"], **entry.get("extra", {})})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows), curves


def _records(frame):
    """Rows as JSON-able dicts (NaN becomes None)."""
    return [{key: (None if isinstance(value, float) and not np.isfinite(value) else value)
             for key, value in row.items()} for row in frame.to_dict(orient="records")]


def _common_deviations(sizes, scale):
    es_stop = ("for all of them" if sizes.get("es_patience") is None else
               f"stopped once {sizes['es_patience']} validations in a row (every {sizes['heldout_every']} epochs) "
               "stayed below the best")
    return [
        (f"ES pre-training: P = {sizes['es_population']} (paper 200), at most {sizes['es_epochs']} epochs (paper 1000), "
        f"{es_stop}; its product is the best-validated mean."),
        (f"GA: P = {sizes['ga_population']} (paper 750), {sizes['elites']} elites (paper 8), "
        f"{sizes['ga_generations']} generations (the paper gives no count); its product is the best-validated "
        "hall-of-fame genome (the paper does not say which genome it reports)."),
        (f"Episodes of {sizes['episode_steps']} steps (paper 1000); fitness = {sizes['episodes_per_individual']} "
        f"training episode(s) per individual; validation on {sizes['heldout_episodes']} fixed seeds, reported "
        f"numbers on {sizes['test_episodes']} test seeds (the paper reports training curves)."),
        *([("ES with common random numbers (every offspring of an epoch meets the same reset seed): ours, so that a "
           "small population ranks genomes rather than starting states.")] if sizes.get("common_seeds") else []),
        ("Tuned in pre-training (the paper lists none): one shared log-weight per synapse sign, per-role (input, "
        "output, other cells) firing threshold, adaptation beta and input scale for ALIF, input scale for "
        "Izhikevich, and every encoder and decoder entry."),
        (f"K, neural steps per environment step: {NEURAL_STEPS['alif']} ALIF, {NEURAL_STEPS['izhikevich']} "
        f"Izhikevich, {NEURAL_STEPS['relu']} ReLU (the paper gives none)."),
        "No gap junctions (the paper models chemical synapses only).",
        ("neuroworm/Swimmer6-v0 is gymnasium's Swimmer with 6 links of 1 m (capsules of radius 0.1 m) and 5 rotors; "
        "the paper does not give its body's size, so its returns and ours measure different bodies."),
        *(["Small scale: numbers answer nothing."] if scale == "small" else []),
    ]


def fig3(*, scale="small", seed=0, out=None, models=("izhikevich", "alif", "relu"),
         tasks=("neuroworm/Swimmer6-v0", "Swimmer-v5"), task=None, gap_junctions=None, work=None, dask=None,
         **options):
    """Fig. 3, varying biophysical realism: Izhikevich, ALIF and ReLU locomotion circuits, one seed.

    Samples (test seeds; ``T`` = ``swimmer6`` or ``swimmer3``):
    ``T_MODEL_pretrained`` -- the ES product, the network the GA starts
    from (the paper's "initial average performance"); ``T_MODEL`` -- the GA's
    product; ``T_pretrained_range`` and ``T_final_range`` -- the largest minus
    the smallest of the three models' returns, before and after the GA.

    Claims, per task: after pre-training Izhikevich > ALIF > ReLU (two
    Orderings) and the paper's ≈ 130 / 100 / 50 (Values, s = 5 %); the
    finals converge, read as the statistic *range between models shrinks
    from the start to the end of the GA* (Ordering of the two ranges).

    Parameters
    ----------
    scale : {"small", "medium", "paper"}
    seed : int
    out : pathlib.Path, optional
        The runner's folder (unused: checkpoints go to ``work``).
    models, tasks : sequences of str
    task : str, optional
        Run this body only (``neuroworm reproduce ... --task``): one command
        per (body, seed) stays under an hour at ``medium``; a later command
        without it finds this body's runs in ``work`` and runs the other.
        Every body keeps its claims; a body not run has NaN samples (no
        measurement), so seeds run body by body pool: a body's claims are
        judged over the seeds that ran it.
    gap_junctions : bool, optional
        Default :func:`paper_gap_junctions` (false: the paper has none).
    work : pathlib.Path, optional
        Checkpoints and per-network results (a rerun resumes or reuses them);
        default ``runs/schmidgall2023/fig3/SCALE`` beyond ``small``, a
        temporary folder at ``small``.
    dask : str, optional
        A Dask scheduler's address (``tcp://host:8786``) or ``"local"``:
        every ES epoch's and GA generation's population is scored on its
        workers (``neuroworm reproduce ... --scale paper --dask ADDRESS``);
        the networks run one after another, each spread over the cluster,
        and the results equal a run without it.
    **options
        Any key of :data:`SCALE_SIZES` overrides the scale's value.

    Returns
    -------
    Reproduction
    """
    from ..connectome import load_connectome, locomotion_circuit
    from .reproduce import Reproduction
    from .verdict import Ordering, Value

    sizes = _sizes(scale, options)
    if options:
        raise ConfigError(f"fig3: unknown options {sorted(options)}")
    evaluation_map(dask)  # a bad address is refused before any run
    circuit = locomotion_circuit(load_connectome(LOCOMOTION_WORM["connectome"]))
    gap_junctions = paper_gap_junctions() if gap_junctions is None else bool(gap_junctions)
    if task is not None and task not in tasks:
        raise ConfigError(f"fig3: task must be one of {list(tasks)}, got {task!r}")
    run_tasks = tasks if task is None else (task,)
    entries = [{"label": model, "circuit": circuit, "model": model, "task": body, "worm": LOCOMOTION_WORM}
               for body in run_tasks for model in models]
    table, finals, curves = _run_networks(entries, sizes, "varying_biophysical_realism", seed,
                                          _work_folder(work, scale, "fig3"), gap_junctions, dask)
    samples, claims = {}, []
    for task in tasks:  # noqa: PLR1704 (the argument has been read: it chose the tasks)
        label = TASK_LABELS.get(task, task)
        part = finals[finals["task"] == task].set_index("network")
        not_run = part.empty  # this seed did not run this body (--task): NaN, left out when seeds pool
        for model in models:
            samples[f"{label}_{model}_pretrained"] = np.nan if not_run else part.loc[model, "pretrained_test_mean"]
            samples[f"{label}_{model}"] = np.nan if not_run else part.loc[model, "final_test_mean"]
        samples[f"{label}_pretrained_range"] = np.nan if not_run else float(np.ptp(part["pretrained_test_mean"]))
        samples[f"{label}_final_range"] = np.nan if not_run else float(np.ptp(part["final_test_mean"]))
        claims += [
            Ordering(f"{task}: after pre-training Izhikevich > ALIF", greater=f"{label}_izhikevich_pretrained",
                     lesser=f"{label}_alif_pretrained"),
            Ordering(f"{task}: after pre-training ALIF > ReLU", greater=f"{label}_alif_pretrained",
                     lesser=f"{label}_relu_pretrained"),
            *[Value(f"{task}: {model} after pre-training ≈ {value:g}", sample=f"{label}_{model}_pretrained",
                    paper=value) for model, value in FIG3_PAPER["initial_mean_return"].items()],
            Ordering(f"{task}: the finals converge (range between models shrinks during the GA)",
                     greater=f"{label}_pretrained_range", lesser=f"{label}_final_range"),
        ]
    ours = {"curves": curves, "runs": _records(finals), "episode_steps": sizes["episode_steps"], "sizes": sizes,
            "gap_junctions": gap_junctions}
    figure = _curves_figure([{"ours": ours, "seed": seed}], f"Fig. 3 reproduction ({scale} scale, seed {seed})",
                            _FIG3_MARKS)
    return Reproduction(
        paper=FIG3_PAPER, ours=ours, table=table, figure=figure, notes=_notes(finals), samples=samples,
        compute_seconds=float(finals["seconds"].sum()),  # the networks' runs, cached or not
        claims=claims, deviations=_common_deviations(sizes, scale),
        test_data=f"{sizes['test_episodes']} test reset seeds 2^30 + 2^20 + i, used by nothing else",
        selection="the ES stop and product, and the GA product, on "
                  f"{sizes['heldout_episodes']} validation seeds 2^30 + i")


def _notes(finals):
    lines = []
    for task, group in finals.groupby("task", sort=False):
        parts = [f"{row.network} {row.pretrained_test_mean:.1f} → {row.final_test_mean:.1f} "
                 f"(ES {row.es_epochs} epochs, best {row.es_best_epoch})" for row in group.itertuples()]
        lines.append(f"{task}, test return after pre-training → after the GA: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def fig4(*, scale="small", seed=0, out=None, task="neuroworm/Swimmer6-v0", gap_junctions=None, work=None, dask=None,
         **options):
    """Fig. 4, architectural statistics: statistics network, fully connected MLP, sparse MLP (ReLU), one seed.

    Samples (test seeds): ``statistics``, ``mlp_full``, ``mlp_sparse`` --
    the GA product's mean test return; ``NETWORK_pretrained`` -- the ES
    product's (where the GA starts: the paper's ≈ 22 / 0 / 0).

    Claims: statistics > full MLP > sparse MLP at the end (Orderings); the
    paper's 146.4 ± 3.5, 96.2 ± 13.6 and 63.7 ± 17.2 (Values); at the start
    of the GA the statistics network leads both MLPs (Orderings).

    Parameters
    ----------
    scale : {"small", "medium", "paper"}
    seed : int
        Also draws the statistics network's wiring and the MLPs' signs (and the sparse one's density).
    out : pathlib.Path, optional
        The runner's folder (unused: checkpoints go to ``work``).
    task : str
    gap_junctions : bool, optional
        Default :func:`paper_gap_junctions`.
    work : pathlib.Path, optional
        As for :func:`fig3` (default ``runs/schmidgall2023/fig4/SCALE``).
    dask : str, optional
        As for :func:`fig3`.
    **options
        Any key of :data:`SCALE_SIZES`.

    Returns
    -------
    Reproduction
    """
    from ..connectome import load_connectome, locomotion_circuit
    from .architectures import excitatory_fraction, sparse_mlp, statistics_network, two_layer_mlp
    from .reproduce import Reproduction
    from .verdict import Ordering, Value

    sizes = _sizes(scale, options)
    if options:
        raise ConfigError(f"fig4: unknown options {sorted(options)}")
    evaluation_map(dask)  # a bad address is refused before any run
    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    n_first, n_second = len(circuit.inputs), len(circuit.outputs)
    fraction = excitatory_fraction(circuit)
    sparse, drawn = sparse_mlp(n_first, n_second, seed=[seed, 2])
    entries = [
        {"label": "statistics", "circuit": statistics_network(circuit, seed=[seed, 0]), "model": "relu", "task": task},
        {"label": "mlp_full", "circuit": two_layer_mlp(n_first, n_second, 1.0, fraction, seed=[seed, 1]),
         "model": "relu", "task": task},
        {"label": "mlp_sparse", "circuit": sparse, "model": "relu", "task": task,
         "extra": {"mlp_density": drawn["density"], "mlp_excitatory_fraction": drawn["excitatory_fraction"]}},
    ]
    gap_junctions = paper_gap_junctions() if gap_junctions is None else bool(gap_junctions)
    table, finals, curves = _run_networks(entries, sizes, "architectural_statistics", seed,
                                          _work_folder(work, scale, "fig4"), gap_junctions, dask)
    part = finals.set_index("network")
    samples = {}
    for network in part.index:
        samples[network] = part.loc[network, "final_test_mean"]
        samples[f"{network}_pretrained"] = part.loc[network, "pretrained_test_mean"]
    final = FIG4_PAPER["final_return"]
    claims = [
        Ordering("after the GA, statistics network > fully connected MLP", greater="statistics", lesser="mlp_full"),
        Ordering("after the GA, fully connected MLP > sparse MLP", greater="mlp_full", lesser="mlp_sparse"),
        *[Value(f"{name} final return {final[name]['mean']} ± {final[name]['std']}", sample=name,
                paper=final[name]["mean"], paper_std=final[name]["std"]) for name in final],
        Ordering("at the start of the GA the statistics network leads the full MLP (≈ 22 vs ≈ 0)",
                 greater="statistics_pretrained", lesser="mlp_full_pretrained"),
        Ordering("at the start of the GA the statistics network leads the sparse MLP (≈ 22 vs ≈ 0)",
                 greater="statistics_pretrained", lesser="mlp_sparse_pretrained"),
    ]
    ours = {"curves": curves, "runs": _records(finals), "task": task, "episode_steps": sizes["episode_steps"],
            "sizes": sizes, "gap_junctions": gap_junctions}
    deviations = _common_deviations(sizes, scale) + [
        (f"MLPs: {n_first} → {n_second} ReLU cells (the circuit's input and output counts); each synapse's sign is "
        f"fixed and drawn per synapse, excitatory with the circuit's fraction {fraction:.2f} for the full MLP and "
        "with a fraction drawn from U(0, 1) per seed for the sparse one (its density also U(0, 1)); the paper does "
        "not say how its MLPs' signs were handled."),
        ("The statistics network keeps the circuit's cell count, synapse count and excitatory/inhibitory ratio "
        "with random wiring (neuroworm.statistics_matched), redrawn per seed."),
    ]
    figure = _curves_figure([{"ours": ours, "seed": seed}], f"Fig. 4 reproduction ({scale} scale, seed {seed})",
                            _FIG4_MARKS)
    return Reproduction(
        paper=FIG4_PAPER, ours=ours, table=table, figure=figure, notes=_notes(finals), samples=samples,
        compute_seconds=float(finals["seconds"].sum()),  # the networks' runs, cached or not
        claims=claims, deviations=deviations,
        test_data=f"{sizes['test_episodes']} test reset seeds 2^30 + 2^20 + i, used by nothing else",
        selection="the ES stop and product, and the GA product, on "
                  f"{sizes['heldout_episodes']} validation seeds 2^30 + i")


_FIG3_MARKS = {"es": FIG3_PAPER["initial_mean_return"]}
_FIG4_MARKS = {"es": FIG4_PAPER["initial_return"],
               "ga": {name: value["mean"] for name, value in FIG4_PAPER["final_return"].items()}}


def _curves_figure(documents, title, marks=None):
    """Validation curves, mean ± std over seeds: one row per task, ES (left) and GA (right) columns.

    ``marks``: ``{stage: {network: value}}``, the paper's numbers, drawn as dotted lines in the network's colour
    (the start of the GA on the ES panel, its end on the GA panel).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    rows = []
    for number, document in enumerate(documents):
        for key, curve in document["ours"]["curves"].items():
            network, task = key.split("@", 1)
            rows.append(pd.DataFrame(curve).assign(network=network, task=task, seed=document.get("seed", number)))
    table = pd.concat(rows, ignore_index=True).dropna(subset=["heldout_mean"])
    tasks = list(dict.fromkeys(table["task"]))
    figure, axes = plt.subplots(len(tasks), 2, figsize=(11, 3.8 * len(tasks)), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, task in zip(axes, tasks):
        for ax, stage, label in zip(row, ("es", "ga"), ("ES pre-training epoch", "GA generation")):
            part = table[(table["task"] == task) & (table["stage"] == stage)]
            for colour, (network, group) in zip(colours, part.groupby("network", sort=False)):
                by_generation = group.groupby("generation")["heldout_mean"]
                centre, spread = by_generation.mean(), by_generation.std(ddof=0).fillna(0.0)
                seeds = group["seed"].nunique()
                ax.plot(centre.index + 1, centre.values, color=colour, marker="o", ms=3,
                        label=f"{network} ({seeds} seed{'s' * (seeds != 1)})")
                ax.fill_between(centre.index + 1, centre - spread, centre + spread, color=colour, alpha=0.15)
                if network in (marks or {}).get(stage, {}):
                    ax.axhline(marks[stage][network], color=colour, ls=":", lw=1)
            ax.set_title(f"{task}: {'pre-training' if stage == 'es' else 'GA'}", fontsize=10)
            ax.set_xlabel(label)
            ax.set_ylabel("validation return (mean ± std over seeds)")
            if (marks or {}).get(stage):
                ax.plot([], [], color="grey", ls=":", lw=1, label="the paper's value (dotted)")
            ax.legend(fontsize=7, frameon=False)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def _assemble(documents, title, marks):
    import pandas as pd

    table = pd.DataFrame([run for document in documents for run in document["ours"]["runs"]])
    figure = _curves_figure(documents, f"{title}, {len(documents)} seed{'s' * (len(documents) != 1)}", marks)
    return table, figure


def fig3_assemble(documents):
    """Fig. 3 from the per-seed documents: runs table and validation curves, mean ± std over seeds."""
    return _assemble(documents, "Fig. 3 reproduction: Izhikevich, ALIF and ReLU locomotion circuits", _FIG3_MARKS)


def fig4_assemble(documents):
    """Fig. 4 from the per-seed documents: runs table and validation curves, mean ± std over seeds."""
    return _assemble(documents, "Fig. 4 reproduction: statistics network, full and sparse MLPs (ReLU)", _FIG4_MARKS)


def fig5(*, scale="small", seed=0, out=None, **options):
    """Fig. 5, limitations of priors (HalfCheetah and MNIST): see :func:`neuroworm.papers.priors.fig5`."""
    from .priors import fig5 as limitations_of_priors

    return limitations_of_priors(scale=scale, seed=seed, out=out, **options)


def fig5_assemble(documents):
    """Fig. 5 from the per-seed documents: see :func:`neuroworm.papers.priors.assemble`."""
    from .priors import assemble

    return assemble(documents)
