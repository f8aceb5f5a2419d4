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
    a fully connected two-layer ReLU network with as many parameters as
    the circuit's genome (:func:`equal_parameter_width`): a first layer as
    wide as the circuit's inputs (so the encoder is the same size), a
    second layer read by the decoder, as wide as makes the genome lengths
    equal (optic lobe 8 → 52, mushroom body 58 → 113); each synapse's sign
    drawn excitatory with probability 1/2, as a standard MLP's weights
    (the mushroom body's all-excitatory signs are an assumption for want of
    transmitters, and an all-excitatory MLP gives every output cell the
    same input).
``worm_locomotion`` (reference)
    the Fig. 5 network, the worm's locomotion circuit with ReLU cells.

All networks use ReLU cells, T = 6 steps per image (the optic lobe needs
3–4 synapses from photoreceptors to its outputs), selection on the
training digits' cross-entropy, curves on validation digits, final
accuracy on test digits.

**A fair start.** At the paper's initialisation (every synapse
``e^-2.5``/``e^-3``, bias-free ReLU) these circuits are not comparable: the
photoreceptors are inhibitory (histamine), and a bias-free ReLU cell at
rest ignores inhibition, so the optic lobe's outputs are silent for about
half the digits and its statistics-matched control (whose input cells
keep their inhibitory sign) for all of them, at any weight scale; the
all-excitatory mushroom body amplifies every digit onto one pattern.
Each network therefore starts from its own scale, chosen on the training
digits only by :func:`~neuroworm.papers.priors.choose_scaling`: a shift
of all log-weights and a resting drive on every cell (backend
``dense_tonic``, :mod:`neuroworm.backends.tonic`; real lamina and medulla
cells are tonically active), the pair at which a linear read-out of the
initial outputs is most accurate on a validation part of the training
digits among the pairs where no digit is silent and the outputs are not
the same for every digit; then the encoder's gain and the drive together
bring the outputs' size to 1. The item reports, at the chosen scale and
at the paper's, the fraction of digits with any output activity and the
spread of the outputs across digits.

References
----------
Lappalainen, J. K. et al. (2024). Connectome-constrained networks predict
neural activity across the fly visual system. *Nature* 634:1132-1140.
Eichler, K. et al. (2017). The complete connectome of a learning and memory
centre in an insect brain. *Nature* 548:175-182.
"""

from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["VISION_SIZES", "equal_parameter_width", "vision", "vision_assemble", "vision_circuits",
           "vision_scalings"]

VISION_SIZES = {
    "small": {"ga_population": 20, "elites": 4, "ga_generations": 15, "heldout_every": 3,
              "train_per_class": 30, "validation_per_class": 10, "test_per_class": 40, "minibatch": None,
              "image_steps": 6, "reference": True},
    "medium": {"ga_population": 32, "elites": 4, "ga_generations": 100, "heldout_every": 5,
               "train_per_class": 100, "validation_per_class": 50, "test_per_class": 150, "minibatch": None,
               "image_steps": 6, "reference": False},
    "paper": {"ga_population": 750, "elites": 8, "ga_generations": 100, "heldout_every": 5,
              "train_per_class": 300, "validation_per_class": 50, "test_per_class": 150, "minibatch": 1000,
              "image_steps": 6, "reference": True},
}
"""Sizes of each scale, per seed (GA as Fig. 5's ``SCALE_SIZES``; every network is ReLU, T = 6);
``reference``: also run the worm's locomotion circuit (no claim rests on it)."""

CIRCUITS = ("optic_lobe", "mushroom_body")
N_PIXELS, N_CLASSES = 784, 10


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


def equal_parameter_width(circuit, n_pixels=N_PIXELS, n_classes=N_CLASSES):
    """Width of the second layer of an MLP whose genome is as long as the circuit's.

    The circuit's ReLU genome holds the encoder (``n_pixels × n_inputs``), one
    log-weight per chemical synapse, one log-conductance per gap junction and
    the decoder (``n_outputs × n_classes``); the MLP ``n_inputs → h`` holds
    the same encoder, ``n_inputs · h`` weights and an ``h × n_classes``
    decoder. ``h`` is the nearest whole number to equality (at least 1).

    Parameters
    ----------
    circuit : Circuit
    n_pixels, n_classes : int

    Returns
    -------
    int
    """
    genes = circuit.n_chemical + circuit.n_electrical + len(circuit.outputs) * int(n_classes)
    return max(1, round(genes / (len(circuit.inputs) + int(n_classes))))


def vision_circuits(seed=0, circuits=CIRCUITS, reference=True):
    """Every network of :func:`vision` for one seed: ``{label: Circuit}`` (all run with ReLU cells).

    Parameters
    ----------
    seed : int
        Draws the statistics-matched rewiring and the MLPs' signs.
    circuits : sequence of {"optic_lobe", "mushroom_body"}
    reference : bool
        Add the worm's locomotion circuit (``worm_locomotion``).
    """
    from ..connectome import load_connectome, locomotion_circuit
    from .architectures import statistics_network, two_layer_mlp

    builders = {"optic_lobe": _optic_lobe, "mushroom_body": _mushroom_body}
    networks = {}
    for index, label in enumerate(circuits):
        circuit = builders[label]()
        n_first, width = len(circuit.inputs), equal_parameter_width(circuit)
        networks[label] = circuit
        networks[f"{label}_statistics"] = statistics_network(circuit, seed=[int(seed), 10 + index])
        networks[f"{label}_mlp"] = two_layer_mlp(n_first, width, 1.0, 0.5, seed=[int(seed), 20 + index],
                                                 name=f"mlp {n_first}-{width}")
    if reference:
        networks["worm_locomotion"] = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    return networks


def vision_scalings(networks, train, *, seed=0, steps=6):
    """The scale of every network (:func:`~neuroworm.papers.priors.choose_scaling`) from the training digits alone.

    Parameters
    ----------
    networks : dict
        ``{label: Circuit}`` (:func:`vision_circuits`).
    train : (images, labels)
        The training digits; nothing else is read.
    seed : int
    steps : int

    Returns
    -------
    dict
        ``{label: scaling}``.
    """
    from .priors import choose_scaling

    images, labels = train
    return {label: choose_scaling(circuit, images, labels, seed=seed, steps=steps)
            for label, circuit in networks.items()}


def vision(*, scale="small", seed=0, out=None, circuits=CIRCUITS, data=None, work=None, **options):
    """One seed of the fly's optic lobe and mushroom body on MNIST, against statistics-matched and MLP controls.

    Samples (held-out digits): ``LABEL`` -- the GA product's test accuracy,
    for every network; ``LABEL_active_digits`` and ``LABEL_spread`` --
    :func:`~neuroworm.papers.priors.activity_measures` of the initial
    genome at the chosen scale on the validation digits. Claims, per
    circuit (Orderings on the test accuracies): the connectome beats its
    statistics-matched control, and it beats the equal-parameter MLP.

    Parameters
    ----------
    scale : {"small", "medium", "paper"}
    seed : int
        Draws the split, the controls, the initial genomes and the GA.
    out : pathlib.Path, optional
        The runner's folder (unused: checkpoints go to ``work``).
    circuits : sequence of {"optic_lobe", "mushroom_body"}
    data : MNISTData, optional
        Default: the embedded 5,000 digits.
    work : pathlib.Path, optional
        Per-run checkpoints (a rerun resumes); default ``runs/beyond/vision/SCALE`` beyond ``small``.
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
    from .verdict import Ordering

    sizes = scale_settings("beyond", "vision", scale, options, defaults=VISION_SIZES)
    unknown = sorted(set(circuits) - set(CIRCUITS))
    if unknown:
        raise ConfigError(f"vision: unknown circuits {unknown}; known: {list(CIRCUITS)}")
    if work is None and scale != "small":
        work = Path("runs") / "beyond" / "vision" / scale
    splits = mnist_splits(sizes, seed, data)
    networks = vision_circuits(seed, circuits, reference=bool(sizes["reference"]))
    scalings = vision_scalings(networks, splits["train"], seed=seed, steps=sizes["image_steps"])
    frames, runs, samples, curves = [], [], {}, {}
    for label, circuit in networks.items():
        folder = None if work is None else Path(work) / f"{label}_seed{seed}"
        result = evolve_on_mnist(circuit, "relu", splits, sizes=sizes, seed=seed, out=folder,
                                 steps=sizes["image_steps"], scaling=scalings[label])
        curve = result["curve"]
        frames.append(curve.assign(network=label, seed=seed))
        validated = curve.dropna(subset=["heldout_mean"])
        curves[label] = {"generation": [int(g) for g in validated["generation"]],
                         "heldout_mean": [float(v) for v in validated["heldout_mean"]]}
        scaling = scalings[label]
        samples[label] = result["test_accuracy"]
        samples[f"{label}_active_digits"] = result["activity"]["initial_active_digits"]
        samples[f"{label}_spread"] = result["activity"]["initial_spread"]
        runs.append({"network": label, "seed": seed, "test_accuracy": result["test_accuracy"],
                     "cells": circuit.n_neurons, "synapses": circuit.n_chemical + circuit.n_electrical,
                     "inputs": len(circuit.inputs), "outputs": len(circuit.outputs),
                     "genes": len(result["genome"]), "seconds": result["seconds"],
                     **{key: scaling[key] for key in ("log_weight_shift", "tonic_ratio", "input_gain", "tonic",
                                                      "fair", "readout_accuracy", "paper_readout_accuracy")},
                     **{f"paper_{key}": value for key, value in (scaling["paper_activity"] or {}).items()},
                     **{key: _finite(value) for key, value in result["activity"].items()}})
    claims = []
    for family in circuits:
        name = family.replace("_", " ")
        claims += [Ordering(f"{name}: the connectome beats its statistics-matched rewiring", greater=family,
                            lesser=f"{family}_statistics"),
                   Ordering(f"{name}: the connectome beats an MLP of equal parameters", greater=family,
                            lesser=f"{family}_mlp")]
    ours = {"curves": curves, "runs": runs, "sizes": sizes, "scaling_grid": {
        label: scaling["grid"] for label, scaling in scalings.items()}, "mnist_test_set": splits["test_set"]}
    table = pd.DataFrame(runs)
    return Reproduction(
        paper={"question": "Schmidgall et al. (2023) conclude that connectomes must be applied in the right "
                           "context; they do not test a visual connectome. No published numbers to compare with.",
               "chance_accuracy": 0.1},
        ours=ours, table=table, figure=_figure([{"ours": ours}], f"beyond vision ({scale} scale, seed {seed})"),
        notes=_notes(table, sizes, splits["test_set"]), samples=samples, claims=claims,
        deviations=_deviations(sizes, scale), test_data=f"MNIST: {splits['test_set']}",
        selection=("Per network, the initial scale (log-weight shift, resting drive, gain) from the training digits "
                   "only (priors.choose_scaling: a linear read-out fitted on 70 % of them, scored on 30 %); the GA "
                   "product is the hall-of-fame best by training cross-entropy; the validation digits draw the "
                   "curves only; the test digits are read once."))


def _finite(value):
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _deviations(sizes, scale):
    return [
        ("No paper: the question is ours. Inputs/outputs: optic lobe R1-R8 in (784 pixels -> 8 cells through the "
         "evolved encoder), its 34 output types out, one column of cell types, not the retinotopic lattice; "
         "mushroom body 58 PNs in, 29 MBONs out, every synapse excitatory (no transmitters in the source)."),
        ("Each network starts from its own scale chosen on training digits (a shift of all log-weights, a resting "
         "drive on every cell, a gain), not the paper's initialisation, at which the optic lobe and its control are "
         "silent and the mushroom body saturates; the resting drive stays fixed during the GA."),
        ("The decoder reads the outputs centred on their mean over the training digits under the initial genome (a "
         "fixed offset, as a decoder bias); the paper's decoder has no bias."),
        ("The MLP has as many genes as the circuit (second layer 52 for the optic lobe, 113 for the mushroom body), "
         "signs drawn at 1/2."),
        (f"GA 'limitations of priors' (mutation 0.02, decay 0.998), P = {sizes['ga_population']} (Fig. 5's paper "
         f"scale: 750), {sizes['elites']} elites, {sizes['ga_generations']} generations, "
         f"{sizes['train_per_class']} training digits per class from the embedded 5,000; the validation curves are "
         "still rising at the last generation (no network has converged: the verdicts compare equal budgets)."),
        *(["Small scale: numbers answer nothing."] if scale == "small" else []),
    ]


def vision_assemble(documents):
    """The pooled table and figure of :func:`vision` from per-seed documents (mean ± std over seeds)."""
    import pandas as pd

    table = pd.DataFrame([run for document in documents for run in document["ours"]["runs"]])
    return table, _figure(documents, f"beyond vision, {len(documents)} seed{'s' * (len(documents) != 1)}")


def _figure(documents, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    curves = pd.concat([pd.DataFrame(curve).assign(network=label, seed=number)
                        for number, document in enumerate(documents)
                        for label, curve in document["ours"]["curves"].items()], ignore_index=True)
    runs = pd.DataFrame([run for document in documents for run in document["ours"]["runs"]])
    families = [name for name in dict.fromkeys(runs["network"]) if name in CIRCUITS]
    figure, axes = plt.subplots(1, len(families) + 1, figsize=(5 * (len(families) + 1), 4.2), squeeze=False)
    styles = {"": ("tab:blue", "connectome"), "_statistics": ("tab:orange", "statistics-matched"),
              "_mlp": ("tab:green", "MLP, equal parameters")}
    for ax, family in zip(axes[0], families):
        for suffix, (colour, text) in styles.items():
            part = curves[curves["network"] == family + suffix].groupby("generation")["heldout_mean"]
            centre, spread = part.mean(), part.std(ddof=0).fillna(0.0)
            ax.plot(centre.index, centre.values, color=colour, lw=2, marker="o", ms=3, label=text)
            ax.fill_between(centre.index, centre - spread, centre + spread, color=colour, alpha=0.15)
        worm = curves[curves["network"] == "worm_locomotion"].groupby("generation")["heldout_mean"].mean()
        if len(worm):
            ax.plot(worm.index, worm.values, color="grey", lw=1, ls="--", label="worm locomotion circuit")
        ax.axhline(0.1, color="black", ls=":", lw=1, label="chance")
        ax.set_title(family.replace("_", " "))
        ax.set_xlabel("GA generation")
        ax.set_ylabel("validation accuracy (GA's best so far)")
        ax.legend(fontsize=7, frameon=False)
    ax = axes[0][-1]
    labels = list(dict.fromkeys(runs["network"]))
    for position, label in enumerate(labels):
        part = runs[runs["network"] == label]
        ax.scatter(np.full(len(part), position), part["test_accuracy"], color="black", s=12, zorder=3)
        ax.bar(position, part["test_accuracy"].mean(), color="lightgrey")
        ax.text(position, 0.01, f"active {part['initial_active_digits'].mean():.0%}\n"
                f"spread {part['initial_spread'].mean():.2f}\n(paper init:\n"
                f"{part['paper_active_digits'].mean():.0%}, {part['paper_spread'].mean():.2f})",
                ha="center", va="bottom", fontsize=6)
    ax.axhline(0.1, color="black", ls=":", lw=1)
    ax.set_xticks(range(len(labels)), [label.replace("_", "\n") for label in labels], fontsize=6)
    ax.set_ylabel("test accuracy (dots: seeds)")
    ax.set_title("test digits; start at the chosen scale", fontsize=9)
    figure.suptitle(title + "; validation curves mean ± std over seeds", fontsize=9)
    figure.tight_layout()
    return figure


def _notes(table, sizes, test_set):
    lines = ["Test accuracy (this seed): " + "; ".join(
        f"{row.network} {row.test_accuracy:.3f}" for row in table.sort_values("test_accuracy", ascending=False)
        .itertuples()) + "."]
    lines.append("Chosen scales (training digits only; readout = validation accuracy of a linear read-out of the "
                 "initial outputs): " + "; ".join(
                     f"{row.network} shift {row.log_weight_shift:+g}, drive/gain {row.tonic_ratio:g}, gain "
                     f"{row.input_gain:.3g}, readout {row.readout_accuracy:.2f} (paper's init "
                     f"{row.paper_readout_accuracy:.2f}), digits with output activity {row.initial_active_digits:.0%} "
                     f"(paper's init {row.paper_active_digits:.0%}), spread {row.initial_spread:.2f} "
                     f"(paper's init {row.paper_spread:.2f})" for row in table.itertuples()) + ".")
    lines.append(f"GA P={sizes['ga_population']}, {sizes['elites']} elites, {sizes['ga_generations']} generations; "
                 f"ReLU cells, T={sizes['image_steps']} steps per image; selection on training cross-entropy; the "
                 f"decoder reads the outputs centred on their training mean. Digits: {test_set}.")
    return "\n".join(lines)
