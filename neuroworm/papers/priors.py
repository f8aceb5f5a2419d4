"""Where the prior fails: Schmidgall, Schuman & Parsa (2023), Figure 5 (``neuroworm reproduce schmidgall2023 fig5``).

"Limitations of priors": the worm's locomotion circuit, good at swimming, is
put on a legged body (``HalfCheetah-v5``, closed loop) and on image
classification (MNIST, open loop), against "a standard MLP". The paper's
claim (Sec. "Limitations of priors", Fig. 5): the connectome "performs
dramatically worse" than the MLP on both and "converges early in the
training process".

Networks (each seed, each task):

``connectome_alif``
    the locomotion circuit (69 motor neurons in, 74 muscles out, 143 cells)
    with ALIF cells, NumPy reference backend;
``connectome_relu``
    the same circuit with ReLU cells;
``mlp``
    a fully connected two-hidden-layer ReLU network with the same neuron
    count, 69 → 74 (:func:`~neuroworm.papers.architectures.two_layer_mlp`,
    synapse signs drawn with the circuit's excitatory fraction, as in Fig. 4).

Training is the elite GA with the paper's "limitations of priors" settings
(A.3.1, ``[genetic_algorithm.limitations_of_priors]`` of
``models/schmidgall2023.toml``: mutation rate 0.02 and decay 0.998 for both
gene groups, 8 elites of P = 750 at paper scale), started from the paper's
initialisation (A.3.3); no ES pre-training (the paper describes
pre-training for the Swimmer only).

* HalfCheetah: :func:`neuroworm.pipelines.es_then_ga.pretrain_then_evolve`
  with zero ES epochs; curve = the hall-of-fame best's return on validation
  seeds; final = the best-validated hall-of-fame genome's returns on
  separate test seeds.
* MNIST: :class:`neuroworm.openloop.OpenLoopEvaluator` on a stratified
  split of the digits (:func:`neuroworm.tasks.mnist.split_mnist`) into
  training, validation and test digits; the GA selects on the negative
  cross-entropy of the training digits (a smoother ranking than accuracy on
  a few hundred digits); curve = the best genome's accuracy on the
  validation digits; final = its accuracy on the test digits, which no
  step of training or selection saw.
"""

import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..openloop import OpenLoopEvaluator

__all__ = ["FIG5_PAPER", "SCALE_GRID", "SCALE_SIZES", "CentredEvaluator", "activity_measures", "choose_scaling",
           "evolve_on_mnist", "fig5", "mnist_splits", "read_out_activity", "readout_accuracy", "shift_log_weights",
           "tonic_backend"]

SCALE_SIZES = {
    "small": {"ga_population": 20, "elites": 4, "ga_generations": 12, "mnist_ga_generations": 12,
              "episode_steps": 150, "episodes_per_individual": 1, "heldout_episodes": 4, "heldout_every": 3,
              "test_episodes": 8,
              "train_per_class": 10, "validation_per_class": 10, "test_per_class": 40, "minibatch": None,
              "image_steps": 20},
    "medium": {"ga_population": 50, "elites": 5, "ga_generations": 60, "mnist_ga_generations": 300,
               "episode_steps": 1000, "episodes_per_individual": 1, "heldout_episodes": 8, "heldout_every": 5,
               "test_episodes": 16,
               "train_per_class": 100, "validation_per_class": 50, "test_per_class": 150, "minibatch": None,
               "image_steps": 20},
    "paper": {"ga_population": 750, "elites": 8, "ga_generations": 100, "mnist_ga_generations": 100,
              "episode_steps": 1000, "episodes_per_individual": 1, "heldout_episodes": 16, "heldout_every": 5,
              "test_episodes": 16,
              "train_per_class": 300, "validation_per_class": 50, "test_per_class": 150, "minibatch": 1000,
              "image_steps": 20},
}
"""Sizes of each scale, per seed. ``paper``: A.3.1's population and elites; the generation count and the MNIST
minibatch are ours (the paper gives neither); on the embedded 5,000 digits, 300/50/150 per class.
``medium``: the paper's 1000-step HalfCheetah episodes, GA P = 50 for 60 generations, 1,000 training digits
and 300 generations on MNIST (``mnist_ga_generations``: at 60 the MLP's last quarter still added 0.32 ± 0.14 of
its gain over 7 seeds); whether the budget lets the MLP's curve flatten is itself a claim (:func:`fig5`), checked on
every run."""

FIG5_PAPER = {
    "claim": ("On both Half Cheetah and MNIST the C. elegans connectome not only does not outperform a "
              "standard MLP but performs dramatically worse; its performance growth deteriorates after a small "
              "amount of training (converges early), whereas the MLP performs relatively well on both tasks."),
    "numbers": "none in the text; Fig. 5 shows training curves only",
    "ga_settings": "A.3.1 limitations of priors: mutation rate 0.02, decay 0.998 (encoder/decoder and connectome)",
}
"""Fig. 5 as the paper states it (qualitative: the text gives no numbers)."""

NETWORKS = ("connectome_alif", "connectome_relu", "mlp")


def _sizes(item, scale, options):
    """The item's sizes at ``scale`` (:data:`SCALE_SIZES`) with the caller's ``options``; unknown ones raise."""
    from ..pipelines.config import scale_settings

    return scale_settings("schmidgall2023", item, scale, options, defaults=SCALE_SIZES)


def _ga_table():
    from ..pipelines.config import load_experiment_config

    return load_experiment_config("schmidgall2023")["genetic_algorithm"]["limitations_of_priors"]


def networks_of(circuit, seed):
    """The three networks of Fig. 5 for one seed: ``{label: (circuit, model)}``."""
    from .architectures import excitatory_fraction, two_layer_mlp

    mlp = two_layer_mlp(len(circuit.inputs), len(circuit.outputs), 1.0, excitatory_fraction(circuit),
                        seed=[int(seed), 1])
    return {"connectome_alif": (circuit, "alif"), "connectome_relu": (circuit, "relu"), "mlp": (mlp, "relu")}


def mnist_splits(sizes, seed, data=None):
    """Training, validation and test digits: one stratified split, its test part halved by class.

    Returns
    -------
    dict
        ``train``, ``validation``, ``test``: (images, labels) each, and
        ``test_set`` (which digits the test numbers come from).
    """
    from ..tasks.mnist import split_mnist

    held_out = sizes["validation_per_class"] + sizes["test_per_class"]
    split = split_mnist(data, train_per_class=sizes["train_per_class"], test_per_class=held_out, seed=seed)
    validation = np.zeros(len(split.test_labels), dtype=bool)
    for label in np.unique(split.test_labels):
        validation[np.flatnonzero(split.test_labels == label)[:sizes["validation_per_class"]]] = True
    return {"train": (split.train_images, split.train_labels),
            "validation": (split.test_images[validation], split.test_labels[validation]),
            "test": (split.test_images[~validation], split.test_labels[~validation]),
            "test_set": f"{split.test_set}; of those, {sizes['validation_per_class']} per class for the curves "
                        f"(validation) and {sizes['test_per_class']} per class for the final numbers (test)"}


class _Correct:
    """``heldout(genome) -> per-image correctness (0/1)`` on fixed digits: its mean is the accuracy."""

    def __init__(self, evaluator, images, labels):
        self.evaluator, self.images, self.labels = evaluator, images, labels

    def __call__(self, genome):
        scores = self.evaluator.scores(genome, self.images)[0]
        correct = (np.argmax(scores, axis=-1) == self.labels).astype(np.float64)
        if not np.isfinite(scores).all():
            correct[:] = np.nan
        return correct


def evolve_on_mnist(circuit, model, splits, *, sizes, seed=0, out=None, steps=None, scaling=None):
    """The elite GA of "limitations of priors" on MNIST for one network.

    Parameters
    ----------
    circuit : Circuit
    model : {"alif", "relu", ...}
    splits : dict
        From :func:`mnist_splits`.
    sizes : dict
        As :data:`SCALE_SIZES` entries.
    seed : int
    out : pathlib.Path, optional
        Checkpoint folder (a rerun resumes).
    steps : int, optional
        Neural steps per image (default: ``sizes["image_steps"]`` for spiking
        models, :data:`neuroworm.openloop.DEFAULT_STEPS` for ReLU).
    scaling : dict, optional
        ReLU networks only: a per-circuit scale from :func:`choose_scaling`
        (keys ``log_weight_shift``, ``input_gain``, ``tonic``): the initial
        genome's log-weights are shifted by ``log_weight_shift``, the encoder's
        current multiplied by ``input_gain`` and every cell gets the resting
        drive ``tonic`` (backend ``"dense_tonic"``), and the decoder reads
        the outputs centred on their mean over the training digits under the
        initial genome (:class:`CentredEvaluator`). Default: the paper's
        initial weights, gain 1, no resting drive, no centring.

    Returns
    -------
    dict
        ``curve`` (DataFrame: generation, mean, max, heldout_mean = validation
        accuracy of the best so far), ``test_accuracy`` (float),
        ``test_correct`` (per-digit 0/1), ``genome``, ``seconds``,
        ``activity`` (:func:`read_out_activity` of the initial and final
        genome on the validation digits; with ``scaling`` also
        :func:`activity_measures`).
    """
    from .. import evolve
    from ..seeding import make_rng

    started = time.perf_counter()
    images, labels = splits["train"]
    scaled = {} if scaling is None else {"input_gain": float(scaling["input_gain"]), "backend": tonic_backend(),
                                         "backend_options": {"tonic": float(scaling["tonic"])}}
    kind = OpenLoopEvaluator if scaling is None else CentredEvaluator
    evaluator = kind(circuit, model, images, labels, n_classes=10, fitness="cross_entropy",
                     steps=steps or (sizes["image_steps"] if model != "relu" else None),
                     minibatch=sizes["minibatch"] if sizes["minibatch"] and sizes["minibatch"] < len(labels) else None,
                     **scaled)
    layout = evaluator.layout
    init_rng, ga_rng = make_rng([int(seed), 5]).spawn(2)
    table = _ga_table()
    initial = layout.random(1, seed=init_rng)[0]
    if scaling is not None:
        initial = shift_log_weights(layout, initial, scaling["log_weight_shift"])
        rates = evaluator.output_rates(initial, images)[0]     # the training digits only
        if np.isfinite(rates).all():
            evaluator.offset = rates.mean(axis=0)
    ga = evolve.EliteGA(initial, population_size=sizes["ga_population"],
                        n_elites=sizes["elites"], groups=layout.mutation_groups(),
                        mutation_rate=dict(table["mutation_rate"]), mutation_decay=dict(table["mutation_decay"]),
                        seed=ga_rng)
    checkpoint = None
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        checkpoint = Path(out) / "ga_checkpoint"
    generations = sizes.get("mnist_ga_generations", sizes["ga_generations"])
    result = evolve.run(ga, evaluator, generations, seed=int(seed), checkpoint=checkpoint,
                        resume=checkpoint is not None and checkpoint.exists(), progress=False,
                        heldout=_Correct(evaluator, *splits["validation"]), heldout_every=sizes["heldout_every"],
                        settings={"task": "mnist", "model": model, "circuit": circuit.name, "steps": evaluator.steps,
                                  "train_digits": len(labels), "minibatch": evaluator.minibatch,
                                  **({} if scaling is None else {"scaling": {key: float(scaling[key]) for key in (
                                      "log_weight_shift", "input_gain", "tonic")}})})
    best = np.asarray(result.best, dtype=np.float64)
    correct = _Correct(evaluator, *splits["test"])(best)
    curve = result.logbook_frame().rename(columns={"gen": "generation"})
    images = splits["validation"][0]
    rates = {when: evaluator.output_rates(genome, images)[0] for when, genome in (("initial", initial), ("final", best))}
    activity = {f"{when}_{key}": value for when in rates for key, value in _read_out(rates[when]).items()}
    if scaling is not None:
        activity.update({f"{when}_{key}": value for when in rates
                         for key, value in activity_measures(rates[when]).items()})
    return {"curve": curve, "test_accuracy": float(np.mean(correct)), "test_correct": correct, "genome": best,
            "activity": activity, "seconds": time.perf_counter() - started}


def read_out_activity(evaluator, genome, images):
    """What reaches the read-out: mean output rate, and the fraction of images with no output activity at all.

    Returns
    -------
    dict
        ``output_rate`` (mean of ``c / T`` over cells and images) and
        ``silent_images`` (fraction of images whose output cells are all 0),
        NaN when the network diverged.
    """
    return _read_out(evaluator.output_rates(genome, images)[0])


def _read_out(rates):
    """:func:`read_out_activity` of one genome's ``(images, outputs)`` rates."""
    if not np.isfinite(rates).all():
        return {"output_rate": float("nan"), "silent_images": float("nan")}
    return {"output_rate": float(rates.mean()), "silent_images": float((rates == 0).all(axis=1).mean())}


SCALE_GRID = {"log_weight_shift": (-3.0, -2.0, -1.0, 0.0, 1.0), "tonic_ratio": (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)}
"""Candidates of :func:`choose_scaling`: shifts of every initial log-weight (all weights times ``e^shift``;
0 is the paper's initialisation) and resting drives relative to the encoder's gain (0: the paper's bias-free
ReLU)."""

SATURATED_SPREAD = 0.05
"""Below this :func:`activity_measures` spread (the variation across digits under 5 % of the outputs' size) the
outputs count as the same for every digit: saturated alike."""


def tonic_backend():
    """Register the open-loop backend with a resting drive (:mod:`neuroworm.backends.tonic`); its name."""
    from ..backends import register_backend

    register_backend("dense_tonic", "neuroworm.backends.tonic:TonicReLUNetwork")
    return "dense_tonic"


def shift_log_weights(layout, genome, shift):
    """``genome`` with every chemical log-weight and gap-junction log-conductance raised by ``shift``.

    Every synapse's weight (and conductance) is multiplied by ``e^shift``;
    signs, encoder and decoder are unchanged.

    Parameters
    ----------
    layout : GenomeLayout
    genome : array_like, shape (D,) or (P, D)
    shift : float

    Returns
    -------
    numpy.ndarray
        A copy.
    """
    genome = np.array(genome, dtype=np.float64, copy=True)
    for name in ("chemical_log_weight", "electrical_log_conductance"):
        if name in layout.slices:
            genome[..., layout.slices[name]] += float(shift)
    return genome


def activity_measures(rates):
    """Whether a network's outputs are silent or saturated alike: the numbers of the fair test.

    Parameters
    ----------
    rates : array_like, shape (B, n_outputs)
        Output rates of one network for B digits (:meth:`OpenLoopEvaluator.output_rates`).

    Returns
    -------
    dict
        ``active_digits``: fraction of digits with any output activity (> 0);
        ``spread``: the outputs' variation across digits relative to their
        size, ``sqrt(mean_j var_b r_bj) / sqrt(mean_bj r_bj²)`` in [0, 1]
        (0 when the outputs are the same for every digit, or all zero): what
        a read-out of the outputs centred on their mean can use
        (:class:`CentredEvaluator`);
        ``direction_spread``: how far the digits' output patterns point away
        from their common pattern, with ``m̂`` the unit vector of the mean
        output, ``sqrt(mean_b |r_b - (r_b·m̂) m̂|²) / sqrt(mean_b |r_b|²)``:
        what the paper's read-out, linear without a bias, can use (outputs
        ``a_b·m`` with ``a_b > 0`` give every digit the same class however
        much ``a_b`` varies);
        ``rms``: ``sqrt(mean_bj r_bj²)``;
        ``saturated``: 1.0 when the outputs are active but their spread is
        below :data:`SATURATED_SPREAD`, else 0.0.
        All NaN when the network diverged.
    """
    rates = np.asarray(rates, dtype=np.float64)
    if not np.isfinite(rates).all():
        return dict.fromkeys(("active_digits", "spread", "direction_spread", "rms", "saturated"), float("nan"))
    rms = float(np.sqrt(np.mean(rates ** 2)))
    spread = direction_spread = 0.0
    if rms > 0:
        spread = float(np.sqrt(np.mean(rates.var(axis=0))) / rms)
        mean = rates.mean(axis=0)
        direction = mean / np.linalg.norm(mean)
        across = rates - np.outer(rates @ direction, direction)
        direction_spread = float(np.sqrt(np.mean(np.sum(across ** 2, axis=1)) / np.mean(np.sum(rates ** 2, axis=1))))
    active = float((rates > 0).any(axis=1).mean())
    return {"active_digits": active, "spread": spread, "direction_spread": direction_spread, "rms": rms,
            "saturated": float(active > 0 and spread < SATURATED_SPREAD)}


class CentredEvaluator(OpenLoopEvaluator):
    """:class:`~neuroworm.openloop.OpenLoopEvaluator` whose decoder reads the outputs minus a fixed offset.

    ``s = (c / T - offset) · W_dec``: the offset is each output cell's mean
    rate on the training digits under the initial genome
    (:func:`evolve_on_mnist` with a ``scaling``), fixed for the run, the
    same as a decoder bias ``-offset · W_dec`` that moves with ``W_dec``.
    Without it a circuit whose outputs share one pattern for every digit
    (all-excitatory convergence: the larval mushroom body) gives every digit
    the same class however much the pattern's size varies.
    :meth:`output_rates` stays uncentred.

    Parameters
    ----------
    *args, **kwargs
        As :class:`~neuroworm.openloop.OpenLoopEvaluator`.
    offset : array_like, shape (n_outputs,), optional
        Default zeros (the plain evaluator).
    """

    def __init__(self, *args, offset=None, **kwargs):
        super().__init__(*args, **kwargs)
        n_outputs = len(self.circuit.output_index)
        self.offset = np.zeros(n_outputs) if offset is None else np.asarray(offset, dtype=np.float64)
        if self.offset.shape != (n_outputs,) or not np.isfinite(self.offset).all():
            raise ConfigError(f"CentredEvaluator: offset must be {n_outputs} finite numbers, got shape "
                              f"{self.offset.shape}")

    def scores(self, genomes, images):
        """Class scores ``(c / T - offset) · W_dec`` of every genome for every image, shape (P, B, n_classes)."""
        genomes, rates = self._checked_rates(genomes, images)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.matmul(rates - self.offset, self.layout.decode(genomes)["decoder"])


def readout_accuracy(fit_rates, fit_labels, rates, labels, *, ridge=1.0, n_classes=10):
    """Accuracy of a linear read-out fitted on one set of output rates and scored on another.

    Each output cell is standardised with the fitting set's mean and
    standard deviation (a cell constant on it contributes nothing); a ridge
    regression onto the one-hot labels (penalty ``ridge``) is solved in
    closed form and each digit gets the class of its largest prediction.
    How much of the label a linear decoder can read: the information the
    outputs carry about the input, in the decoder's own terms.

    Parameters
    ----------
    fit_rates : array_like, shape (n_fit, n_outputs)
    fit_labels : array_like of int, shape (n_fit,)
    rates : array_like, shape (n, n_outputs)
    labels : array_like of int, shape (n,)
    ridge : float
    n_classes : int

    Returns
    -------
    float
        Accuracy on ``rates``; NaN when any rate is not finite.
    """
    fit_rates, rates = np.asarray(fit_rates, dtype=np.float64), np.asarray(rates, dtype=np.float64)
    if not (np.isfinite(fit_rates).all() and np.isfinite(rates).all()):
        return float("nan")
    centre, scale = fit_rates.mean(axis=0), fit_rates.std(axis=0)
    scale = np.where(scale > 1e-12 * max(1.0, float(np.abs(centre).max(initial=0.0))), scale, np.inf)
    features = (fit_rates - centre) / scale
    targets = np.eye(n_classes)[np.asarray(fit_labels)]
    offset = targets.mean(axis=0)
    weights = np.linalg.solve(features.T @ features + ridge * np.eye(features.shape[1]),
                              features.T @ (targets - offset))
    predicted = np.argmax((rates - centre) / scale @ weights + offset, axis=1)
    return float(np.mean(predicted == np.asarray(labels)))


def choose_scaling(circuit, images, labels, *, seed=0, steps=6, draws=2, validation_share=0.3, grid=None,
                   target_rms=1.0):
    """The per-circuit scale of a ReLU network, chosen on training digits only.

    The paper initialises every ReLU network alike (every synapse
    ``e^-2.5`` or ``e^-3``, no bias). That is not neutral across circuits:
    a circuit driven through inhibitory cells (the fly's photoreceptors)
    is silent whatever the weight scale, since a bias-free ReLU cell at
    rest ignores inhibition, and an all-excitatory recurrent one (the
    larval mushroom body) amplifies every digit onto the same pattern.
    So every network gets its own scale, by one rule:

    1. **Shape** — for every ``(shift, ratio)`` of ``grid`` (all
       log-weights raised by ``shift``; a resting drive ``ratio`` on every
       cell, the encoder's gain being 1), ``draws`` initial genomes of the
       GA's initialisation are run on the training digits, and a linear
       read-out (:func:`readout_accuracy`) is fitted on
       ``1 - validation_share`` of them and scored on the rest. Among the
       pairs at which no draw is silent for any validation digit or
       saturated alike (:func:`activity_measures`: every digit has output
       activity and the spread across digits is at least
       :data:`SATURATED_SPREAD`), the one with the highest mean validation
       accuracy wins: the scale at which the circuit's initial outputs carry
       the most information about the digit that a linear decoder (the GA's
       own decoder is linear) can use, without a digit-independent part so
       large that the decoder's scores barely move. Ties go to the pair
       nearest the paper's (smallest ``|shift|``, then smallest ratio). If
       no pair qualifies, the most informative pair is taken and ``fair`` is
       False.
    2. **Size** — the update is positively homogeneous (scaling the
       encoder's current and the resting drive by ``c`` scales every
       activity by ``c``), so the gain ``c`` that brings the root mean
       square of the outputs' variation across the training digits (what
       the centred decoder of :class:`CentredEvaluator` reads) to
       ``target_rms`` is exact and changes no information: every network's
       decoder starts on inputs of the same size.

    Only the training digits are read; the validation part of step 1 is
    drawn from them (stratified by class, seeded by ``seed``).

    Parameters
    ----------
    circuit : Circuit
    images : array_like, shape (n, n_pixels)
        Training digits.
    labels : array_like of int, shape (n,)
    seed : int
        Seeds the split and the initial genomes.
    steps : int
        Neural steps per image (as the GA's evaluator).
    draws : int
        Initial genomes per candidate.
    validation_share : float in (0, 1)
    grid : dict, optional
        ``{"log_weight_shift": [...], "tonic_ratio": [...]}`` (default :data:`SCALE_GRID`).
    target_rms : float

    Returns
    -------
    dict
        ``log_weight_shift``, ``tonic_ratio``, ``input_gain`` (``c``),
        ``tonic`` (``c · ratio``): what :func:`evolve_on_mnist` takes as
        ``scaling``; ``fair`` (whether the winner is neither silent nor
        saturated), ``readout_accuracy`` (the winner's validation accuracy),
        ``paper_readout_accuracy`` (at shift 0, no drive), ``grid`` (one
        record per candidate: shift, ratio, readout_accuracy and
        :func:`activity_measures` of its validation outputs), and
        ``activity`` (:func:`activity_measures` of the scaled network on the
        validation part, mean over draws) and ``paper_activity`` (the same
        at the paper's initialisation).
    """
    from ..seeding import make_rng

    grid = dict(SCALE_GRID if grid is None else grid)
    if not 0.0 < validation_share < 1.0:
        raise ConfigError(f"choose_scaling: validation_share must be in (0, 1), got {validation_share!r}")
    images, labels = np.asarray(images, dtype=np.float64), np.asarray(labels)
    split_rng, genome_rng = make_rng([int(seed), 7]).spawn(2)
    validation = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        validation[split_rng.permutation(members)[:max(1, round(validation_share * len(members)))]] = True
    if validation.all() or not validation.any():
        raise ConfigError(f"choose_scaling: {len(labels)} training digits cannot be split into a fitting and a "
                          f"validation part (validation_share {validation_share})")
    evaluator = OpenLoopEvaluator(circuit, "relu", images, labels, n_classes=int(labels.max()) + 1, steps=steps,
                                  backend=tonic_backend())
    base = evaluator.layout.random(int(draws), seed=genome_rng)
    candidates = sorted(((float(shift), float(ratio)) for shift in grid["log_weight_shift"]
                         for ratio in grid["tonic_ratio"]), key=lambda pair: (abs(pair[0]), pair[0] < 0, pair[1]))
    records, measured = [], {}
    for shift, ratio in candidates:
        evaluator.backend_options = {"tonic": ratio}
        rates = evaluator.output_rates(shift_log_weights(evaluator.layout, base, shift), images)
        scores = [readout_accuracy(r[~validation], labels[~validation], r[validation], labels[validation],
                                   n_classes=evaluator.n_classes) for r in rates]
        measures = [activity_measures(r[validation]) for r in rates]
        record = {"log_weight_shift": shift, "tonic_ratio": ratio,
                  "readout_accuracy": float(np.mean(scores)) if np.isfinite(scores).all() else float("nan"),
                  **{key: float(np.mean([m[key] for m in measures])) for key in measures[0]}}
        records.append(record)
        measured[(shift, ratio)] = rates
    accuracies = np.array([record["readout_accuracy"] for record in records])
    accuracies = np.where(np.isfinite(accuracies), accuracies, -np.inf)
    fair = np.array([record["active_digits"] == 1.0 and record["saturated"] == 0.0 for record in records])
    best = records[int(np.argmax(np.where(fair, accuracies, -np.inf) if fair.any() else accuracies))]
    rates = measured[(best["log_weight_shift"], best["tonic_ratio"])]
    varying = float(np.sqrt(np.mean(rates.var(axis=1)))) if np.isfinite(rates).all() else 0.0
    gain = float(target_rms) / varying if varying > 0 else 1.0
    paper = next((record for record in records if record["log_weight_shift"] == 0 and record["tonic_ratio"] == 0),
                 None)

    def summary(record):
        return None if record is None else {key: record[key] for key in ("active_digits", "spread",
                                                                         "direction_spread", "saturated")}

    return {"log_weight_shift": best["log_weight_shift"], "tonic_ratio": best["tonic_ratio"], "input_gain": gain,
            "tonic": gain * best["tonic_ratio"], "fair": bool(fair.any()), "readout_accuracy": best["readout_accuracy"],
            "paper_readout_accuracy": None if paper is None else paper["readout_accuracy"], "grid": records,
            "activity": summary(best), "paper_activity": summary(paper),
            "fit_digits": int((~validation).sum()), "validation_digits": int(validation.sum())}


def _run_halfcheetah(circuit, model, sizes, seed, out):
    from ..pipelines.es_then_ga import pretrain_then_evolve

    halfcheetah_sizes = {key: sizes[key] for key in ("episode_steps", "ga_population", "ga_generations", "elites",
                                                    "episodes_per_individual", "heldout_episodes", "heldout_every",
                                                    "test_episodes")}
    halfcheetah_sizes.update(es_population=2, es_epochs=0)
    result = pretrain_then_evolve(circuit, model, "HalfCheetah-v5", sizes=halfcheetah_sizes,
                                  experiment="limitations_of_priors", seed=seed, out=out)
    curve = result["curve"]
    return {"curve": curve[curve["stage"] == "ga"].drop(columns="stage"), "test": result["test_returns"],
            "seconds": result["seconds"]}


TASK_LABELS = {"HalfCheetah-v5": "halfcheetah", "mnist": "mnist"}
"""Short task names used in sample names (``mnist_mlp``, ``halfcheetah_connectome_alif_early_share``)."""


def plateau_statistics(curve):
    r"""How early a validation curve stopped rising, from the means of its four quarters.

    The generations from the curve's first validation to its last are cut
    into four equal spans; :math:`q_1 \dots q_4` are the mean validation
    scores within each (a span without a validation takes the curve's
    linear interpolation at its middle), :math:`c_0` is the first point and
    :math:`G = q_4 - c_0` the gain. Then

    .. math:: \text{early share} = \frac{q_2 - c_0}{G}, \qquad
              \text{late share} = \frac{q_4 - q_3}{G},

    both clipped to [0, 1]: the share of the final level's gain already
    held just after the first quarter of training, and the share the last
    quarter added. Quarter means, not single points, so that one noisy
    validation does not decide. A curve that gained nothing (:math:`G \le 0`)
    has an early share of 1 (flat from the start) and a late share of 0.

    Parameters
    ----------
    curve : pandas.DataFrame
        ``generation`` and ``heldout_mean`` columns (rows without a validation are skipped).

    Returns
    -------
    dict
        ``early_share``, ``late_share``, ``gain`` (:math:`G`).
    """
    points = curve.dropna(subset=["heldout_mean"]).sort_values("generation")
    generation = points["generation"].to_numpy(dtype=np.float64)
    value = points["heldout_mean"].to_numpy(dtype=np.float64)
    if len(value) < 2 or not np.isfinite(value).all():
        return {"early_share": float("nan"), "late_share": float("nan"), "gain": float("nan")}
    edges = np.linspace(generation[0], generation[-1], 5)

    def quarter(k):
        inside = (generation >= edges[k]) & ((generation < edges[k + 1]) if k < 3 else (generation <= edges[4]))
        if inside.any():
            return float(value[inside].mean())
        return float(np.interp(0.5 * (edges[k] + edges[k + 1]), generation, value))

    q2, q3, q4 = quarter(1), quarter(2), quarter(3)
    gain = q4 - value[0]
    if gain <= 0:
        return {"early_share": 1.0, "late_share": 0.0, "gain": float(gain)}
    return {"early_share": float(np.clip((q2 - value[0]) / gain, 0.0, 1.0)),
            "late_share": float(np.clip((q4 - q3) / gain, 0.0, 1.0)), "gain": float(gain)}


def fig5(*, scale="small", seed=0, out=None, tasks=("HalfCheetah-v5", "mnist"), task=None, networks=NETWORKS,
         data=None, work=None, **options):
    """Fig. 5 for one seed: the locomotion circuit (ALIF, ReLU) against an MLP of its neuron count.

    Samples (``T`` = ``halfcheetah`` or ``mnist``): ``T_NETWORK`` -- the
    GA product's test return (HalfCheetah, test seeds) or test accuracy
    (MNIST, test digits); ``T_NETWORK_early_share`` and
    ``T_NETWORK_late_share`` -- :func:`plateau_statistics` of its
    validation curve.

    Claims, per task: the MLP beats each connectome (Orderings on the test
    numbers); the budget lets the MLP's curve flatten (Threshold: its late
    share, the gain of its last quarter, is below 0.2), so that a plateau
    means something; and the connectome "converges early" (Orderings: each
    connectome's early share exceeds the MLP's).

    Parameters
    ----------
    scale : {"small", "medium", "paper"}
    seed : int
        Also draws the MLP's signs and the MNIST split.
    out : pathlib.Path, optional
        The runner's folder (unused: checkpoints go to ``work``).
    tasks : sequence of {"HalfCheetah-v5", "mnist"}
    task : str, optional
        Run this task only (``neuroworm reproduce ... --task``): at ``medium``
        one seed of both tasks passes an hour here (measured under load 7:
        HalfCheetah 0.53 s per ALIF episode and 0.25 s per ReLU one, MNIST
        0.97 s per ALIF genome on 1,000 digits and 0.05 s per ReLU one, so
        about 46 min for HalfCheetah and 49 min for MNIST per seed); a later
        call without it resumes this task's finished runs from ``work``.
        Only the tasks run have samples and claims.
    networks : sequence of str, or str
        Any of :data:`NETWORKS` (a comma-separated string from ``--networks``);
        claims are declared for the networks run (none without the MLP).
    data : MNISTData, optional
        Default: the embedded 5,000 digits (:func:`neuroworm.tasks.mnist.load_mnist`).
    work : pathlib.Path, optional
        Per-run checkpoints (a rerun resumes); default ``runs/schmidgall2023/fig5/SCALE`` beyond
        ``small``, none at ``small``.
    **options
        Any key of :data:`SCALE_SIZES` overrides the scale's value.

    Returns
    -------
    Reproduction
    """
    import pandas as pd

    from ..connectome import load_connectome, locomotion_circuit
    from .reproduce import Reproduction
    from .verdict import Ordering, Threshold

    sizes = _sizes("fig5", scale, options)
    if isinstance(networks, str):  # from the command line: "connectome_relu,mlp"
        networks = tuple(name.strip() for name in networks.split(",") if name.strip())
    unknown = sorted(set(tasks) - set(TASK_LABELS)) + sorted(set(networks) - set(NETWORKS))
    if unknown:
        raise ConfigError(f"fig5: unknown tasks or networks {unknown}; tasks: HalfCheetah-v5, mnist; "
                          f"networks: {list(NETWORKS)}")
    if task is not None and task not in tasks:
        raise ConfigError(f"fig5: task must be one of {list(tasks)}, got {task!r}")
    tasks = tasks if task is None else (task,)
    if work is None and scale != "small":
        work = Path("runs") / "schmidgall2023" / "fig5" / scale
    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    candidates = networks_of(circuit, seed)
    splits = mnist_splits(sizes, seed, data) if "mnist" in tasks else None
    frames, finals, samples, curves = [], [], {}, {}
    for task in tasks:  # noqa: PLR1704 (the argument has been read: it chose the tasks)
        for label in networks:
            network, model = candidates[label]
            folder = None if work is None else Path(work) / f"{label}_{task}_seed{seed}"
            if task == "mnist":
                result = evolve_on_mnist(network, model, splits, sizes=sizes, seed=seed, out=folder)
                final = {"test_mean": result["test_accuracy"], "test_std": float(np.std(result["test_correct"])),
                         **result["activity"]}
            else:
                result = _run_halfcheetah(network, model, sizes, seed, folder)
                final = {"test_mean": float(np.mean(result["test"])), "test_std": float(np.std(result["test"]))}
            curve = result["curve"]
            plateau = plateau_statistics(curve)
            name = f"{TASK_LABELS[task]}_{label}"
            samples[name] = final["test_mean"]
            samples[f"{name}_early_share"] = plateau["early_share"]
            samples[f"{name}_late_share"] = plateau["late_share"]
            validated = curve.dropna(subset=["heldout_mean"])
            curves[f"{label}@{task}"] = {"generation": [int(g) for g in validated["generation"]],
                                         "heldout_mean": [float(v) for v in validated["heldout_mean"]]}
            frames.append(curve.assign(task=task, network=label, seed=seed))
            finals.append({"task": task, "network": label, "seed": seed, **final, **plateau,
                           "seconds": result["seconds"]})
    claims = []
    for task in tasks if "mlp" in networks else ():
        label = TASK_LABELS[task]
        claims.append(Threshold(f"{task}: the MLP's validation curve has flattened (its last quarter adds < 20 % of "
                                "its gain)",
                                sample=f"{label}_mlp_late_share", target=0.2, direction="below"))
        for connectome in (name for name in networks if name.startswith("connectome")):
            claims += [
                Ordering(f"{task}: the MLP beats the {connectome.replace('_', ' ')}", greater=f"{label}_mlp",
                         lesser=f"{label}_{connectome}"),
                Ordering(f"{task}: the {connectome.replace('_', ' ')} converges earlier than the MLP (share of its "
                         "gain held after the first quarter)", greater=f"{label}_{connectome}_early_share",
                         lesser=f"{label}_mlp_early_share"),
            ]
    table = pd.concat(frames, ignore_index=True)
    finals = pd.DataFrame(finals)
    records = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
               for row in finals.to_dict(orient="records")]
    ours = {"curves": curves, "runs": records, "sizes": sizes,
            "mnist_test_set": None if splits is None else splits["test_set"]}
    figure = _figure([{"ours": ours}], f"Fig. 5 reproduction ({scale} scale, seed {seed})")
    partial = []
    if tuple(tasks) != tuple(TASK_LABELS) or tuple(networks) != NETWORKS:
        partial.append(f"Run here: {', '.join(tasks)} with {', '.join(networks)} only (the paper: both tasks, the "
                       "connectome and the MLP); the cost of the rest is in fig5's docstring.")
    test_data = [f"HalfCheetah: {sizes['test_episodes']} test reset seeds 2^30 + 2^20 + i"] if "HalfCheetah-v5" in tasks \
        else []
    if splits is not None:
        test_data.append(f"MNIST: {splits['test_set']}")
    return Reproduction(
        paper=FIG5_PAPER, ours=ours, table=table, figure=figure, notes=_notes(finals, sizes), samples=samples,
        claims=claims, deviations=_deviations(sizes, scale) + partial, test_data="; ".join(test_data),
        selection=(f"HalfCheetah: the GA product is the best-validated hall-of-fame genome ({sizes['heldout_episodes']}"
                   " validation seeds 2^30 + i); MNIST: the hall-of-fame best by training cross-entropy, the "
                   "validation digits drawing the curve only"))


def _deviations(sizes, scale):
    return [
        (f"GA P = {sizes['ga_population']} (paper 750), {sizes['elites']} elites (paper 8), {sizes['ga_generations']} "
        f"generations on HalfCheetah and {sizes['mnist_ga_generations']} on MNIST (the paper gives no count; its "
        "Fig. 5 x-axis is not readable in the text)."),
        ("No ES pre-training (the paper describes pre-training for the Swimmer only); the paper's initialisation "
        "(A.3.3)."),
        (f"HalfCheetah: {sizes['episode_steps']}-step episodes (paper 1000), {sizes['episodes_per_individual']} "
        "training episode(s) per individual."),
        (f"MNIST: {sizes['train_per_class']} training digits per class from the embedded 5,000 (the paper does not "
        f"say how many it used), minibatch {sizes['minibatch']}; pixels -> tanh(x W_enc) on the 69 motor neurons "
        "(or the MLP's first layer), output rates x W_dec -> 10 scores, fitness = - cross-entropy (the paper does "
        "not say how it fed images to the circuit or scored them)."),
        ("The MLP is 69 -> 74 ReLU cells (the circuit's 143), fully connected, each synapse's sign fixed and drawn "
        "with the circuit's excitatory fraction (the paper does not say how its MLP's signs were handled)."),
        ("The plateau is read with a named statistic (early share: gain by a quarter of the generations over the "
        "whole gain); the paper shows the curves only."),
        *(["Small scale: numbers answer nothing."] if scale == "small" else []),
    ]


def assemble(documents):
    """Fig. 5 from per-seed documents: the runs table and the validation curves, mean ± std over seeds."""
    import pandas as pd

    table = pd.DataFrame([run for document in documents for run in document["ours"]["runs"]])
    return table, _figure(documents, f"Fig. 5 reproduction, {len(documents)} seed{'s' * (len(documents) != 1)}")


def _figure(documents, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    rows = [pd.DataFrame(curve).assign(network=key.split("@", 1)[0], task=key.split("@", 1)[1], seed=number)
            for number, document in enumerate(documents) for key, curve in document["ours"]["curves"].items()]
    table = pd.concat(rows, ignore_index=True)
    tasks = list(dict.fromkeys(table["task"]))
    figure, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 4), squeeze=False)
    colours = dict(zip(NETWORKS, ("tab:blue", "tab:orange", "tab:green")))
    for ax, task in zip(axes[0], tasks):
        part = table[table["task"] == task]
        for label, group in part.groupby("network", sort=False):
            heldout = group.groupby("generation")["heldout_mean"]
            centre, spread = heldout.mean(), heldout.std(ddof=0).fillna(0.0)
            ax.plot(centre.index, centre.values, color=colours[label], lw=2, marker="o", ms=3,
                    label=f"{label} (GA product, validation)")
            ax.fill_between(centre.index, centre - spread, centre + spread, color=colours[label], alpha=0.15)
        if task == "mnist":
            ax.axhline(0.1, color="grey", ls=":", lw=1, label="chance")
            ax.set_ylabel("validation accuracy")
            ax.set_title("(b) MNIST, open loop")
        else:
            ax.set_ylabel("validation return")
            ax.set_title(f"(a) {task}, closed loop")
        ax.set_xlabel("GA generation")
        ax.legend(fontsize=7, frameon=False)
    figure.suptitle(title + "; mean ± std over seeds", fontsize=9)
    figure.tight_layout()
    return figure


def _notes(finals, sizes):
    lines = []
    for task, group in finals.groupby("task", sort=False):
        unit = "test accuracy" if task == "mnist" else f"test return ({sizes['episode_steps']}-step episodes)"
        parts = [f"{row.network} {row.test_mean:.3f} (early share {row.early_share:.2f}, late share "
                 f"{row.late_share:.2f})" for row in group.itertuples()]
        lines.append(f"{task}: {unit}: " + "; ".join(parts) + ".")
    return "\n".join(lines)
