"""Beyond the papers: ``neuroworm reproduce beyond vision``.

Schmidgall et al. (2023) end Fig. 5 with "connectomes must be applied in
the right context". The natural next question: does a connectome whose
context *is* sensory processing do better on images than the worm's
locomotion circuit? :func:`vision` puts two fly circuits through the same
MNIST path as Fig. 5 (:class:`neuroworm.openloop.OpenLoopEvaluator`, the
elite GA of "limitations of priors", held-out digits), each against two
controls of the same size:

``optic_lobe`` — ``lappalainen2024_optic_lobe``
    the adult *Drosophila* optic lobe as Lappalainen et al. (2024) model it:
    65 cell types of one column, 605 signed connections (the weight column
    is not used: the genome's log-weights start at the paper's value for
    every synapse, as for the worm). **Inputs**: the photoreceptor types
    R1–R8 (the model's ``input_unit`` cells), so the encoder maps 784 pixels
    onto 8 cells — the circuit's own bottleneck. **Outputs**: the 34
    ``output_unit`` types of the model (T1–T5 and the Tm/TmY
    transmedullary types that project to the lobula).
``mushroom_body`` — ``eichler2017_mushroom_body_left``
    the first-instar larva's left mushroom body (209 cells, 7,425
    connections). **Inputs**: the 58 projection neurons (PN, the olfactory
    input to the Kenyon cells); **outputs**: the 29 mushroom-body output
    neurons (MBON). The 101 Kenyon cells and 21 MBINs are hidden; the
    PN → KC → MBON expansion-then-convergence is the classic
    "random-projection classifier" of the insect brain. The source gives no
    transmitters: every synapse counts as excitatory
    (``Circuit(unknown_sign=+1)``).
``..._statistics``
    the same cells, inputs and outputs, rewired at random with the synapse
    count and E/I ratio kept (:func:`neuroworm.statistics_matched`, via
    :func:`~neuroworm.papers.architectures.statistics_network`).
``..._mlp``
    a fully connected two-layer ReLU network with the circuit's neuron
    count: a first layer as wide as the circuit's inputs, a second with the
    remaining cells, all read by the decoder
    (:func:`~neuroworm.papers.architectures.two_layer_mlp`, signs drawn
    with the circuit's excitatory fraction).
``worm_locomotion`` (reference)
    the Fig. 5 network, the worm's locomotion circuit with ReLU cells.

All networks use ReLU cells (the dense batched path), T = 6 steps per
image (the optic lobe needs 3–4 synapses from photoreceptors to its
outputs), selection on the training digits' cross-entropy, curves on
validation digits, final accuracy on test digits.

References
----------
Lappalainen, J. K. et al. (2024). Connectome-constrained networks predict
neural activity across the fly visual system. *Nature* 634:1132-1140.
Eichler, K. et al. (2017). The complete connectome of a learning and memory
centre in an insect brain. *Nature* 548:175-182.
"""

from pathlib import Path

from ..errors import ConfigError

__all__ = ["VISION_SIZES", "vision", "vision_circuits"]

VISION_SIZES = {
    "small": {"ga_population": 20, "elites": 4, "ga_generations": 15, "seeds": 2, "heldout_every": 3,
              "train_per_class": 20, "validation_per_class": 10, "test_per_class": 40, "minibatch": None,
              "image_steps": 6},
    "paper": {"ga_population": 750, "elites": 8, "ga_generations": 100, "seeds": 3, "heldout_every": 5,
              "train_per_class": 300, "validation_per_class": 50, "test_per_class": 150, "minibatch": 1000,
              "image_steps": 6},
}
"""Sizes of each scale (GA as Fig. 5's ``SCALE_SIZES``; every network is ReLU, T = 6)."""

CIRCUITS = ("optic_lobe", "mushroom_body")
ACTIVITY_COLUMNS = ("initial_output_rate", "initial_silent_images", "final_output_rate", "final_silent_images")


def _optic_lobe():
    from ..connectome import Circuit, load_connectome

    lobe = load_connectome("lappalainen2024_optic_lobe")
    cells = lobe.neurons
    inputs = cells.index[cells["input_unit"].astype(bool)].tolist()
    outputs = cells.index[cells["output_unit"].astype(bool)].tolist()
    return Circuit(lobe, inputs=inputs, outputs=outputs, name="optic lobe (R1-R8 in, T/Tm out)")


def _mushroom_body():
    from ..connectome import Circuit, load_connectome

    body = load_connectome("eichler2017_mushroom_body_left")
    kind = body.neurons["cell_type"]
    return Circuit(body, inputs=kind.index[kind == "PN"].tolist(), outputs=kind.index[kind == "MBON"].tolist(),
                   name="mushroom body (PN in, MBON out)", unknown_sign=1)


def vision_circuits(seed=0, circuits=CIRCUITS):
    """Every network of :func:`vision` for one seed: ``{label: Circuit}`` (all run with ReLU cells).

    Parameters
    ----------
    seed : int
        Draws the statistics-matched rewiring and the MLPs' signs.
    circuits : sequence of {"optic_lobe", "mushroom_body"}
    """
    from ..connectome import load_connectome, locomotion_circuit
    from .architectures import excitatory_fraction, statistics_network, two_layer_mlp

    builders = {"optic_lobe": _optic_lobe, "mushroom_body": _mushroom_body}
    networks = {}
    for index, label in enumerate(circuits):
        circuit = builders[label]()
        n_first = len(circuit.inputs)
        networks[label] = circuit
        networks[f"{label}_statistics"] = statistics_network(circuit, seed=[int(seed), 10 + index])
        networks[f"{label}_mlp"] = two_layer_mlp(n_first, circuit.n_neurons - n_first, 1.0,
                                                 excitatory_fraction(circuit), seed=[int(seed), 20 + index],
                                                 name=f"mlp {n_first}-{circuit.n_neurons - n_first}")
    networks["worm_locomotion"] = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    return networks


def vision(*, scale="small", seed=0, out=None, circuits=CIRCUITS, data=None, **options):
    """The fly's optic lobe and mushroom body on MNIST, against statistics-matched and MLP controls.

    Parameters
    ----------
    scale : {"small", "paper"}
    seed : int
        First of ``sizes["seeds"]`` consecutive seeds.
    out : pathlib.Path, optional
        Per-run checkpoints (a rerun resumes).
    circuits : sequence of {"optic_lobe", "mushroom_body"}
    data : MNISTData, optional
        Default: the embedded 5,000 digits.
    **options
        Any key of :data:`VISION_SIZES`.

    Returns
    -------
    Reproduction
    """
    import pandas as pd

    from ..pipelines.config import scale_settings
    from .priors import evolve_on_mnist, mnist_splits
    from .reproduce import Reproduction

    sizes = scale_settings("beyond", "vision", scale, options, defaults=VISION_SIZES)
    unknown = sorted(set(circuits) - set(CIRCUITS))
    if unknown:
        raise ConfigError(f"vision: unknown circuits {unknown}; known: {list(CIRCUITS)}")
    frames, finals, shapes = [], [], {}
    for run_seed in range(int(seed), int(seed) + int(sizes["seeds"])):
        splits = mnist_splits(sizes, run_seed, data)
        for label, circuit in vision_circuits(run_seed, circuits).items():
            folder = None if out is None else Path(out) / f"{label}_seed{run_seed}"
            result = evolve_on_mnist(circuit, "relu", splits, sizes=sizes, seed=run_seed, out=folder,
                                     steps=sizes["image_steps"])
            shapes[label] = {"cells": circuit.n_neurons, "synapses": circuit.n_chemical + circuit.n_electrical,
                             "inputs": len(circuit.inputs), "outputs": len(circuit.outputs)}
            curve = result["curve"].assign(network=label, seed=run_seed)
            frames.append(curve)
            heldout = curve.dropna(subset=["heldout_mean"])
            finals.append({"network": label, "seed": run_seed, "test_accuracy": result["test_accuracy"],
                           "initial_heldout": float(heldout["heldout_mean"].iloc[0]),
                           "final_heldout": float(heldout["heldout_mean"].iloc[-1]), "seconds": result["seconds"],
                           **result["activity"], **shapes[label]})
    table = pd.concat(frames, ignore_index=True)
    finals = pd.DataFrame(finals)
    ours = {"networks": {}, "sizes": sizes, "mnist_test_set": splits["test_set"],
            "runs": finals.to_dict(orient="records")}
    for label, group in finals.groupby("network", sort=False):
        values = group["test_accuracy"].to_numpy()
        ours["networks"][label] = {"test_accuracy": {"mean": float(values.mean()), "std": float(values.std()),
                                                     "n": int(values.size)},
                                   "initial_heldout": float(group["initial_heldout"].mean()),
                                   **{key: float(group[key].mean()) for key in ACTIVITY_COLUMNS},
                                   **shapes[label]}
    paper = {"question": "Schmidgall et al. (2023) conclude that connectomes must be applied in the right context; "
                         "they do not test a visual connectome. No published numbers to compare with.",
             "chance_accuracy": 0.1}
    return Reproduction(paper=paper, ours=ours, table=table, figure=_figure(table, scale, sizes),
                        notes=_notes(finals, sizes, splits["test_set"]))


def _figure(table, scale, sizes):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [name for name in dict.fromkeys(table["network"]) if name != "worm_locomotion"]
    families = list(dict.fromkeys(name.split("_statistics")[0].split("_mlp")[0] for name in groups))
    figure, axes = plt.subplots(1, len(families), figsize=(5.5 * len(families), 4), squeeze=False)
    styles = {"": ("tab:blue", "connectome"), "_statistics": ("tab:orange", "statistics-matched"),
              "_mlp": ("tab:green", "MLP, same cells")}
    for ax, family in zip(axes[0], families):
        for suffix, (colour, text) in styles.items():
            part = table[table["network"] == family + suffix]
            heldout = part.dropna(subset=["heldout_mean"]).groupby("generation")["heldout_mean"]
            centre, spread = heldout.mean(), heldout.std(ddof=0).fillna(0.0)
            ax.plot(centre.index, centre.values, color=colour, lw=2, marker="o", ms=3, label=text)
            ax.fill_between(centre.index, centre - spread, centre + spread, color=colour, alpha=0.15)
        worm = table[table["network"] == "worm_locomotion"].dropna(subset=["heldout_mean"])
        worm = worm.groupby("generation")["heldout_mean"].mean()
        ax.plot(worm.index, worm.values, color="grey", lw=1, ls="--", label="worm locomotion circuit")
        ax.axhline(0.1, color="black", ls=":", lw=1, label="chance")
        ax.set_title(family.replace("_", " "))
        ax.set_xlabel("GA generation")
        ax.set_ylabel("validation accuracy (best so far)")
        ax.legend(fontsize=7, frameon=False)
    figure.suptitle(f"Fly circuits on MNIST ({scale} scale: ReLU cells, GA P={sizes['ga_population']}, "
                    f"{sizes['ga_generations']} generations, {sizes['seeds']} seeds; mean ± std over seeds)",
                    fontsize=9)
    figure.tight_layout()
    return figure


def _notes(finals, sizes, test_set):
    summary = finals.groupby("network", sort=False)["test_accuracy"].agg(["mean", "std"]).fillna(0.0)
    ranked = summary.sort_values("mean", ascending=False)
    lines = ["Test accuracy, mean ± std over seeds (ranked): " + "; ".join(
        f"{name} {row['mean']:.3f} ± {row['std']:.3f}" for name, row in ranked.iterrows()) + "."]
    activity = finals.groupby("network", sort=False)[list(ACTIVITY_COLUMNS)].mean()
    lines.append("What reaches the read-out (validation digits; initial → final genome): " + "; ".join(
        f"{name} mean output rate {row['initial_output_rate']:.3g} → {row['final_output_rate']:.3g}, images with "
        f"silent outputs {row['initial_silent_images']:.0%} → {row['final_silent_images']:.0%}"
        for name, row in activity.iterrows()) + ". A network whose outputs are silent, or saturated alike for "
        "every digit, classifies at chance whatever its wiring.")
    lines.append(f"Digits: {test_set}. GA 'limitations of priors' (mutation 0.02, decay 0.998), "
                 f"P={sizes['ga_population']}, {sizes['elites']} elites, {sizes['ga_generations']} generations; "
                 f"ReLU cells, T={sizes['image_steps']} steps per image; selection on training cross-entropy.")
    lines.append("Inputs/outputs: optic lobe R1-R8 photoreceptor types in (784 pixels → 8 cells through the "
                 "encoder), its 34 output types out; mushroom body 58 PNs in, 29 MBONs out, every synapse "
                 "excitatory (no transmitters in the source). The optic lobe here is one column of cell types, "
                 "not the retinotopic lattice: it cannot use the image's spatial layout except through the "
                 "evolved encoder.")
    return "\n".join(lines)
