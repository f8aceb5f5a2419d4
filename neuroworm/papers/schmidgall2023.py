"""Schmidgall, Schuman & Parsa (2023), Figures 3 and 4: ``neuroworm reproduce schmidgall2023 fig3|fig4``.

Both figures train a network in two stages (A.2): OpenAI-ES pre-training of
shared weights, tuned neuron constants and the encoder/decoder (A.3.2),
then the elite GA on every synapse (A.3.1), started from the pre-trained
genome. :func:`~neuroworm.pipelines.es_then_ga.pretrain_then_evolve` runs that chain for any circuit, neuron
model and backend with the building blocks of
:mod:`neuroworm.pipelines.pretraining` (shared expansion, m-episode
fitness, held-out returns) and returns per-generation curves:

``mean``
    the GA population's mean training fitness (each individual: the mean
    of ``m`` training episodes);
``heldout_mean`` / ``heldout_std``
    the hall-of-fame best genome re-evaluated on *validation* seeds that
    no training episode used (:data:`~neuroworm.pipelines.pretraining.VALIDATION_SEED_BASE`);

and the final best genome's returns on separate *test* seeds. Every number
in the items' ``ours`` comes from held-out seeds, as a mean ± std over
seeds of the experiment.

:func:`fig3` — "varying biophysical realism": the locomotion circuit with
ALIF, Izhikevich and ReLU cells on ``neuroworm/Swimmer6-v0`` (the paper's 6-link
swimmer) and ``Swimmer-v5``, GA settings ``varying_biophysical_realism``.
:func:`fig4` — "architectural statistics": ReLU networks with the circuit's
statistics (random wiring), a fully connected two-hidden-layer MLP and a
sparse one with random density and E/I ratio
(:mod:`neuroworm.papers.architectures`), GA settings
``architectural_statistics``, on ``neuroworm/Swimmer6-v0``.

Scales: ``small`` (minutes on 2 cores: 200-step episodes, small populations,
few generations; returns are then not comparable with the paper's
1000-step returns, only the ordering is) and ``paper`` (A.3: ES P = 200 for
1000 epochs, GA P = 750; the number of GA generations is not in the paper's
text, we use 100; see ``benchmarks/bench_schmidgall.py`` for the measured
time per generation and the total it implies).

Measured on the 2-core machine of this project, quiet (``bench_schmidgall.py
--steps-fraction 0.1 --tasks Swimmer-v5``): an ES epoch (P = 200) takes
12.6 s (ALIF, K = 4), 24.6 s (Izhikevich, K = 10), 10.2 s (ReLU, K = 1), a
GA generation (P = 750) 40.8, 82.8 and 35.4 s (the physics of the same
strokes alone: 30.8-37.5 s). One paper-scale run (1000 epochs + 100
generations) is 4.6, 9.1 and 3.8 h; Fig. 3 on ``Swimmer-v5`` alone 53 h for
3 seeds, about 4.5 days with the 6-link swimmer. The small scale takes
3.6 min (Fig. 3) and 66 s (Fig. 4) quiet, 23.5 and 21 min under a load
average of about 14 from other jobs, with the same numbers bit for bit.
"""

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..neurons.models import ModelTable, model_class
from ..pipelines.es_then_ga import pretrain_then_evolve, settings_gap_junctions

__all__ = ["FIG3_PAPER", "FIG4_PAPER", "SCALE_SIZES", "fig3", "fig4", "fig5", "paper_gap_junctions",
           "pretrain_then_evolve"]

SCALE_SIZES = {
    "small": {"episode_steps": 200, "es_population": 16, "es_epochs": 6, "ga_population": 24, "ga_generations": 8,
              "elites": 4, "episodes_per_individual": 1, "heldout_episodes": 4, "heldout_every": 1,
              "test_episodes": 8, "seeds": 3},
    "paper": {"episode_steps": 1000, "es_population": 200, "es_epochs": 1000, "ga_population": 750,
              "ga_generations": 100, "elites": 8, "episodes_per_individual": 1, "heldout_episodes": 16,
              "heldout_every": 5, "test_episodes": 16, "seeds": 3},
}
"""Sizes of each scale. ``paper``: A.3.1 and A.3.2 (the GA's generation count is ours)."""

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


def _summary(values):
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {"mean": None, "std": None, "n": int(values.size)}
    return {"mean": float(finite.mean()), "std": float(finite.std()), "n": int(values.size)}


def _curves_figure(table, panels, series, title):
    """One panel per ``panels`` value, one colour per ``series`` value: GA mean (thin) and held-out best (thick)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panel_values = list(dict.fromkeys(table[panels]))
    figure, axes = plt.subplots(1, len(panel_values), figsize=(5.5 * len(panel_values), 4), squeeze=False)
    ga = table[table["stage"] == "ga"]
    for ax, panel in zip(axes[0], panel_values):
        for colour, (name, group) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"],
                                         ga[ga[panels] == panel].groupby(series, sort=False)):
            by_generation = group.groupby("generation")
            mean = by_generation["mean"].mean()
            ax.plot(mean.index, mean.values, color=colour, lw=1, ls="--", label=f"{name}: population mean")
            heldout = group.dropna(subset=["heldout_mean"]).groupby("generation")["heldout_mean"]
            centre, spread = heldout.mean(), heldout.std(ddof=0).fillna(0.0)
            ax.plot(centre.index, centre.values, color=colour, lw=2, marker="o", ms=3,
                    label=f"{name}: best, held-out")
            ax.fill_between(centre.index, centre - spread, centre + spread, color=colour, alpha=0.15)
        ax.set_title(str(panel), fontsize=10)
        ax.set_xlabel("GA generation (after ES pre-training)")
        ax.set_ylabel("return")
        ax.legend(fontsize=7, frameon=False)
    figure.suptitle(title, fontsize=10)
    return figure


def _run_grid(runs, sizes, experiment, seed, out, gap_junctions=None):
    """Run every (label, circuit, model, task) of ``runs`` for each seed; return the long table and results."""
    import pandas as pd

    frames, finals = [], []
    for run_seed in range(seed, seed + int(sizes["seeds"])):
        for entry in runs(run_seed):
            folder = None if out is None else Path(out) / f"{entry['label']}_{entry['task'].replace('/', '_')}_seed{run_seed}"
            result = pretrain_then_evolve(entry["circuit"], entry["model"], entry["task"], sizes=sizes,
                                          experiment=experiment, seed=run_seed, out=folder,
                                          gap_junctions=gap_junctions)
            curve = result["curve"].assign(network=entry["label"], task=entry["task"], seed=run_seed)
            frames.append(curve)
            ga = curve[curve["stage"] == "ga"]
            first = ga.iloc[0]
            finals.append({"network": entry["label"], "task": entry["task"], "seed": run_seed,
                           "initial_population_mean": float(first["mean"]),
                           "initial_heldout_best": float(first["heldout_mean"]),
                           "final_population_mean": float(ga.iloc[-1]["mean"]),
                           "test_mean": float(np.mean(result["test_returns"])),
                           "test_std": float(np.std(result["test_returns"])), "seconds": result["seconds"],
                           **entry.get("extra", {})})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(finals)


def _records(frame):
    """Rows as JSON-able dicts (NaN becomes None)."""
    return [{key: (None if isinstance(value, float) and not np.isfinite(value) else value)
             for key, value in row.items()} for row in frame.to_dict(orient="records")]


def _ours(finals):
    ours = {}
    for (network, task), group in finals.groupby(["network", "task"], sort=False):
        ours.setdefault(task, {})[network] = {
            "initial_population_mean": _summary(group["initial_population_mean"]),
            "initial_heldout_best": _summary(group["initial_heldout_best"]),
            "final_test_return": _summary(group["test_mean"]),
            "seeds": [int(s) for s in group["seed"]],
        }
    return ours


def fig3(*, scale="small", seed=0, out=None, models=("alif", "izhikevich", "relu"),
         tasks=("neuroworm/Swimmer6-v0", "Swimmer-v5"), gap_junctions=None, **options):
    """Fig. 3, varying biophysical realism: ALIF, Izhikevich and ReLU locomotion circuits.

    Parameters
    ----------
    scale : {"small", "paper"}
    seed : int
        First of ``sizes["seeds"]`` consecutive seeds.
    out : pathlib.Path, optional
        Per-run checkpoints and logbooks.
    models, tasks : sequences of str
    gap_junctions : bool, optional
        Default :func:`paper_gap_junctions` (false: the paper has none).
    **options
        Any key of :data:`SCALE_SIZES` overrides the scale's value.

    Returns
    -------
    Reproduction
    """
    from ..connectome import load_connectome, locomotion_circuit
    from .reproduce import Reproduction

    sizes = _sizes(scale, options)
    if options:
        raise ConfigError(f"fig3: unknown options {sorted(options)}")
    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))

    def runs(_seed):
        return [{"label": model, "circuit": circuit, "model": model, "task": task} for task in tasks for model in models]

    gap_junctions = paper_gap_junctions() if gap_junctions is None else bool(gap_junctions)
    table, finals = _run_grid(runs, sizes, "varying_biophysical_realism", seed, out, gap_junctions)
    ours = {"returns_by_task": _ours(finals), "episode_steps": sizes["episode_steps"], "sizes": sizes,
            "gap_junctions": gap_junctions,
            "runs": _records(finals)}
    figure = _curves_figure(table, "task", "network",
                            f"Fig. 3 reproduction ({scale} scale, {sizes['seeds']} seeds, "
                            f"{sizes['episode_steps']}-step episodes)")
    notes = _fig3_notes(finals, sizes)
    return Reproduction(paper=FIG3_PAPER, ours=ours, table=table, figure=figure, notes=notes)


def _ordering(finals, column, task):
    group = finals[finals["task"] == task].groupby("network")[column].mean().sort_values(ascending=False)
    return " > ".join(f"{name} {value:.1f}" for name, value in group.items())


def _fig3_notes(finals, sizes):
    lines = [(f"Episodes of {sizes['episode_steps']} steps (paper: 1000), ES {sizes['es_epochs']} epochs of "
             f"P={sizes['es_population']} (paper 1000 of 200), GA {sizes['ga_generations']} generations of "
             f"P={sizes['ga_population']} (paper 750): returns scale with episode length, so only the ordering "
             "compares with the paper's.")]
    for task in dict.fromkeys(finals["task"]):
        lines.append(f"{task}: initial population mean {_ordering(finals, 'initial_population_mean', task)}; "
                     f"final test return {_ordering(finals, 'test_mean', task)} (paper: Izhikevich > ALIF > ReLU "
                     "initially, all converge).")
    lines.append("Pre-training tunes shared E/I log-weights (and one gap-junction log-conductance when gap junctions "
                 "are simulated; the paper has none, and by default neither do we), per-role neuron "
                 "constants and the encoder/decoder (neuroworm.pipelines.pretraining); the paper does not list "
                 "which constants it tunes. K (neural steps per environment step): 4 ALIF, 10 Izhikevich, 1 ReLU "
                 "(ours; the paper gives none).")
    return "\n".join(lines)


def fig4(*, scale="small", seed=0, out=None, task="neuroworm/Swimmer6-v0", gap_junctions=None, **options):
    """Fig. 4, architectural statistics: statistics network, fully connected MLP, sparse MLP (all ReLU).

    Parameters
    ----------
    scale : {"small", "paper"}
    seed : int
        First seed; each seed also draws a new random wiring / sparse MLP.
    out : pathlib.Path, optional
    task : str
    gap_junctions : bool, optional
        Default :func:`paper_gap_junctions` (only the statistics network has any).
    **options
        Any key of :data:`SCALE_SIZES`.

    Returns
    -------
    Reproduction
    """
    from ..connectome import load_connectome, locomotion_circuit
    from .architectures import excitatory_fraction, sparse_mlp, statistics_network, two_layer_mlp
    from .reproduce import Reproduction

    sizes = _sizes(scale, options)
    if options:
        raise ConfigError(f"fig4: unknown options {sorted(options)}")
    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    n_first, n_second = len(circuit.inputs), len(circuit.outputs)
    fraction = excitatory_fraction(circuit)

    def runs(run_seed):
        sparse, drawn = sparse_mlp(n_first, n_second, seed=[run_seed, 2])
        return [
            {"label": "statistics", "circuit": statistics_network(circuit, seed=[run_seed, 0]), "model": "relu",
             "task": task},
            {"label": "mlp_full", "circuit": two_layer_mlp(n_first, n_second, 1.0, fraction, seed=[run_seed, 1]),
             "model": "relu", "task": task},
            {"label": "mlp_sparse", "circuit": sparse, "model": "relu", "task": task,
             "extra": {"mlp_density": drawn["density"], "mlp_excitatory_fraction": drawn["excitatory_fraction"]}},
        ]

    gap_junctions = paper_gap_junctions() if gap_junctions is None else bool(gap_junctions)
    table, finals = _run_grid(runs, sizes, "architectural_statistics", seed, out, gap_junctions)
    ours = {"returns": _ours(finals).get(task, {}), "task": task, "episode_steps": sizes["episode_steps"],
            "gap_junctions": gap_junctions,
            "sizes": sizes, "runs": _records(finals)}
    figure = _curves_figure(table, "task", "network",
                            f"Fig. 4 reproduction ({scale} scale, {sizes['seeds']} seeds, "
                            f"{sizes['episode_steps']}-step episodes, ReLU cells)")
    notes = "\n".join([
        (f"Episodes of {sizes['episode_steps']} steps (paper: 1000); sizes as in fig3's notes. Final test returns: "
        f"{_ordering(finals, 'test_mean', task)} (paper: statistics 146.4 ± 3.5 > full MLP 96.2 ± 13.6 > "
        "sparse MLP 63.7 ± 17.2). Initial population means: "
        f"{_ordering(finals, 'initial_population_mean', task)} (paper: ~22, ~0, ~0)."),
        (f"MLPs: {n_first} → {n_second} cells (the circuit's inputs and outputs, {n_first + n_second} cells in all); "
        f"synapse signs drawn per synapse, the full MLP with the circuit's excitatory fraction {fraction:.2f}, "
        "the sparse MLP with a density and excitatory fraction from U(0, 1) per seed (in the runs' table); the "
        "paper does not say how its MLPs' signs were kept."),
    ])
    return Reproduction(paper=FIG4_PAPER, ours=ours, table=table, figure=figure, notes=notes)


def fig5(*, scale="small", seed=0, out=None, **options):
    """Fig. 5, limitations of priors (HalfCheetah and MNIST): see :func:`neuroworm.papers.priors.fig5`."""
    from .priors import fig5 as limitations_of_priors

    return limitations_of_priors(scale=scale, seed=seed, out=out, **options)
