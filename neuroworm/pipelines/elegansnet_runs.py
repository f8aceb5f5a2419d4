"""Building blocks of the ElegansNet reproductions (:mod:`neuroworm.papers.bardozzo2023`).

The data (MNIST or CIFAR-10, held-out test sets), the graphs (the worm's 302
neurons, its random-graph and rewired controls, all through the same
:func:`~neuroworm.connectome.layering.layered_dag`), one seeded training run,
the equal-parameter MLP and the leak checks. Every accuracy here is measured
on test images that no training step saw; the test curve is recorded every
epoch but never used to choose an epoch or a model (the last epoch is
reported).
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..seeding import make_rng

__all__ = [
    "CONTROL_FAMILIES",
    "SCALE_SETTINGS",
    "ImageTask",
    "clustering_accuracy",
    "control_graph",
    "duplicate_count",
    "equal_parameter_mlp",
    "load_task",
    "settings_for",
    "tensor_network",
    "train",
    "unit_code",
    "worm_neurons",
]

SCALE_SETTINGS = {
    "small": {"channels": 4, "epochs": 5, "batch_size": 64, "learning_rate": 1e-3, "train_per_class": 200,
              "test_per_class": 100, "graphs_per_family": 3, "worm_seeds": 3,
              "rewiring_fractions": (0.0, 0.25, 0.5, 0.75, 1.0), "rewiring_seeds": 2},
    "paper": {"channels": 4, "epochs": 20, "batch_size": 64, "learning_rate": 1e-3, "train_per_class": 400,
              "test_per_class": None, "graphs_per_family": 10, "worm_seeds": 5,
              "rewiring_fractions": tuple(np.round(np.linspace(0, 1, 11), 2)), "rewiring_seeds": 3},
}
"""Sizes of each scale. The paper gives none (no epochs, channels, optimiser or split);
``paper`` uses its 30 random graphs (10 per family), the rest is ours. On a folder of
full MNIST IDX files or CIFAR-10 batches, ``paper`` trains on every training image
(``train_per_class`` applies to the embedded 5,000 digits and to ``small``)."""

CONTROL_FAMILIES = {
    "Watts-Strogatz": "watts_strogatz_like",
    "Erdos-Renyi": "erdos_renyi_like",
    "Barabasi-Albert": "barabasi_albert_like",
}
"""The paper's G1, G2, G3 (Fig. 2) and the null model that draws each."""

NEURON_CLASSES = ("sensory", "inter", "motor")


def settings_for(scale, **overrides):
    """The settings of ``scale`` with ``overrides`` applied (unknown keys are an error)."""
    if scale not in SCALE_SETTINGS:
        raise ConfigError(f"scale must be one of {', '.join(SCALE_SETTINGS)}, got {scale!r}")
    settings = dict(SCALE_SETTINGS[scale])
    unknown = sorted(set(overrides) - set(settings))
    if unknown:
        raise ConfigError(f"unknown ElegansNet setting(s) {unknown}; known: {sorted(settings)}")
    settings.update(overrides)
    return settings


def worm_neurons(connectome="cook2019_hermaphrodite"):
    """The connectome restricted to its neurons (sensory, inter, motor): 302 for Cook et al. 2019."""
    from ..connectome import load_connectome

    worm = load_connectome(connectome) if isinstance(connectome, str) else connectome
    keep = worm.neurons.index[worm.neurons["cell_class"].isin(NEURON_CLASSES)]
    return worm.subset(keep, name=f"{worm.name}[neurons]")


def control_graph(neurons, family, *, seed=None):
    """A random graph of ``family`` (a key of :data:`CONTROL_FAMILIES`) on the same neurons."""
    from .. import connectome as connectomes

    if family not in CONTROL_FAMILIES:
        raise ConfigError(f"unknown random-graph family {family!r}; known: {', '.join(CONTROL_FAMILIES)}")
    return getattr(connectomes, CONTROL_FAMILIES[family])(neurons, seed=seed)


@dataclass(eq=False)
class ImageTask:
    """Flattened images in [0, 1] with integer labels; ``test_*`` are held out from every training step."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    test_set: str

    @property
    def input_size(self):
        return self.train_images.shape[1]


def _stratified(labels, per_class, rng):
    if per_class is None:
        return rng.permutation(len(labels))
    rows = []
    for label in np.unique(labels):
        pool = np.flatnonzero(labels == label)
        rows.append(rng.permutation(pool)[:per_class])
    return rng.permutation(np.concatenate(rows))


def load_task(dataset="mnist", data=None, *, train_per_class=200, test_per_class=None, seed=0):
    """Training and held-out test images of ``dataset``.

    Parameters
    ----------
    dataset : {"mnist", "cifar10"}
    data : str or path-like, optional
        MNIST: a folder of the four IDX files (default: the embedded 5,000
        digits). CIFAR-10: the folder of python batches (required).
    train_per_class, test_per_class : int or None
        Stratified sub-samples; ``None`` keeps every image (for MNIST's
        embedded set the test set is then every digit not drawn for training).
    seed : int

    Returns
    -------
    ImageTask
    """
    rng = make_rng(seed)
    if dataset == "mnist":
        from ..tasks.mnist import load_mnist, split_mnist

        mnist = load_mnist(data)
        if train_per_class is None:
            train_per_class = int(np.bincount(mnist.labels[~mnist.official_test]).min()) - (100 if mnist.embedded else 0)
        split = split_mnist(mnist, train_per_class=train_per_class, test_per_class=test_per_class, seed=rng)
        return ImageTask("mnist", split.train_images, split.train_labels, split.test_images, split.test_labels,
                         split.test_set)
    if dataset == "cifar10":
        from ..tasks.cifar10 import load_cifar10

        if data is None:
            raise ConfigError("dataset 'cifar10' needs data=FOLDER (cifar-10-batches-py); CIFAR-10 is not bundled")
        cifar = load_cifar10(data)
        train = _stratified(cifar.train_labels, train_per_class, rng)
        test = np.sort(_stratified(cifar.test_labels, test_per_class, rng))
        return ImageTask("cifar10", cifar.train_images[train], cifar.train_labels[train], cifar.test_images[test],
                         cifar.test_labels[test], f"{len(test)} images of CIFAR-10's official test_batch")
    raise ConfigError(f"dataset must be 'mnist' or 'cifar10', got {dataset!r}")


def tensor_network(graph, input_size, output_size, settings, *, seed, output_activation="identity"):
    """ElegansNet's tensor network of ``graph`` (a Connectome), through :func:`layered_dag`."""
    from ..connectome import layered_dag
    from ..nn.tensor_network import TensorNetwork

    return TensorNetwork(layered_dag(graph), input_size, output_size, channels=settings["channels"],
                         output_activation=output_activation, dtype="float32", seed=seed)


def equal_parameter_mlp(parameters, input_size, output_size, *, seed, output_activation="identity"):
    """A one-hidden-layer ReLU MLP whose parameter count is the closest to ``parameters``."""
    from ..nn import mlp

    hidden = max(1, round((parameters - output_size) / (input_size + output_size + 1)))
    return mlp([input_size, hidden, output_size], output_activation=output_activation, dtype="float32", seed=seed)


def train(network, task, settings, *, seed, loss="cross_entropy", targets=None, test_targets=None):
    """Train ``network`` on ``task`` with Adam; the held-out curve is recorded every epoch.

    ``targets`` / ``test_targets`` replace the labels (images for
    reconstruction, permuted labels for the leak check).

    Returns
    -------
    pandas.DataFrame
        One row per epoch (0 = before training): ``train_loss``,
        ``test_loss``, ``test_accuracy`` (held out) and ``train_accuracy``
        (last epoch only; NaN for reconstruction).
    """
    from ..nn import Adam, evaluate, fit

    targets = task.train_labels if targets is None else targets
    test_targets = task.test_labels if test_targets is None else test_targets
    history = fit(network, task.train_images, targets, loss=loss, optimizer=Adam(settings["learning_rate"]),
                  epochs=settings["epochs"], batch_size=settings["batch_size"], seed=seed,
                  validation=(task.test_images, test_targets))
    frame = history.to_frame().rename(columns={"validation_loss": "test_loss", "validation_accuracy": "test_accuracy"})
    frame["train_accuracy"] = np.nan
    if loss == "cross_entropy":
        frame.loc[frame.index[-1], "train_accuracy"] = evaluate(network, task.train_images, targets)[1]
    return frame


def duplicate_count(train_images, test_images):
    """How many test images are byte-identical to some training image (a leak check)."""
    train = {row.tobytes() for row in np.ascontiguousarray(train_images)}
    return int(sum(row.tobytes() in train for row in np.ascontiguousarray(test_images)))


def unit_code(network, images, cells, *, batch_size=1024):
    """The channels of ``cells`` (e.g. the motor units) for every image: the network's internal code."""
    blocks = []
    for start in range(0, len(images), batch_size):
        network.forward(images[start:start + batch_size])
        blocks.append(network.unit_activity(cells))
    return np.concatenate(blocks)


def clustering_accuracy(features, labels, *, clusters=10, seed=0):
    """Unsupervised clustering accuracy: k-means on ``features``, clusters matched to labels one to one.

    The metric of the "MNIST unsupervised" benchmark (IIC and the others of
    the paper's Table II): the best one-to-one assignment of clusters to
    classes (Hungarian algorithm), then the fraction of images whose
    cluster's class is their label. Labels are used only for this matching.
    """
    from scipy.cluster.vq import kmeans2
    from scipy.optimize import linear_sum_assignment

    features = np.asarray(features, dtype=float)
    spread = features.std(axis=0)
    whitened = features / np.where(spread > 0, spread, 1.0)
    rng = make_rng(seed)
    best = None
    for _ in range(5):  # k-means++ restarts; keep the lowest within-cluster sum of squares
        centroids, assignment = kmeans2(whitened, clusters, minit="++", seed=rng)
        inertia = float(((whitened - centroids[assignment]) ** 2).sum())
        if best is None or inertia < best[0]:
            best = (inertia, assignment)
    assignment = best[1]
    counts = np.zeros((clusters, int(labels.max()) + 1))
    np.add.at(counts, (assignment, labels), 1)
    rows, columns = linear_sum_assignment(-counts)
    return float(counts[rows, columns].sum() / len(labels))
