"""Building blocks of the ElegansNet reproductions (:mod:`neuroworm.papers.bardozzo2023`).

The data (embedded MNIST, Fashion-MNIST or CIFAR-10; a validation split
carved from the training images, a held-out test set), the graphs (the
worm's 302 neurons, its random-graph and rewired controls, all through the
same :func:`~neuroworm.connectome.layering.layered_dag` and matched to the
worm's connection count after layering), one seeded training run that stops
when validation accuracy has stopped rising and keeps the best-validated
parameters, the equal-parameter MLP and the leak checks. The test set is
read once per network, after training; nothing is chosen on it.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, DatasetFileError
from ..seeding import make_rng

__all__ = [
    "CONTROL_FAMILIES",
    "DATASETS",
    "FASHION_MNIST_FOLDERS",
    "SCALE_SETTINGS",
    "ImageTask",
    "clustering_accuracy",
    "control_graph",
    "duplicate_count",
    "equal_parameter_mlp",
    "fashion_mnist_folder",
    "load_task",
    "pool_images",
    "settings_for",
    "tensor_network",
    "train",
    "unit_code",
    "worm_neurons",
]

_COMMON = {"channels": 4, "batch_size": 64, "learning_rate": 1e-3, "match_connections": True,
           "graphs_per_family": 1, "worm_inits": 1}
SCALE_SETTINGS = {
    "small": {**_COMMON, "max_epochs": 5, "patience": 5, "train_per_class": 200, "validation_per_class": 20,
              "test_per_class": 100, "rewiring_fractions": (0.0, 0.5, 1.0), "full_train_table1": False},
    "medium": {**_COMMON, "max_epochs": 30, "patience": 5, "train_per_class": 300, "validation_per_class": 100,
               "test_per_class": None, "large_train_per_class": 1000, "large_validation_per_class": 200,
               "rewiring_fractions": (0.0, 0.25, 0.5, 0.75, 1.0), "full_train_table1": False},
    "paper": {**_COMMON, "max_epochs": 50, "patience": 5, "train_per_class": 300, "validation_per_class": 100,
              "test_per_class": None, "large_train_per_class": None, "large_validation_per_class": 500,
              "rewiring_fractions": tuple(np.round(np.linspace(0, 1, 11), 2)), "full_train_table1": True},
}
"""Sizes of each scale, per seed. The paper gives none (no epochs, channels, optimiser or split).
Every seed trains ``worm_inits`` worm networks and ``graphs_per_family`` graphs of each family
(ten seeds give the paper's 30 random graphs, 10 per family) or one network per rewiring
fraction. ``train_per_class`` applies to the embedded 5,000 MNIST digits (``None``: all but the
held-out 100 per class); ``large_train_per_class`` to sets with an official split (Fashion-MNIST,
full MNIST, CIFAR-10; ``None``: every training image), and ``full_train_table1`` gives table1
every training image of those. ``validation_per_class`` (``large_validation_per_class`` on sets
with an official split) images per class are held out of the training pool for the stopping rule
(``patience`` epochs without a better validation score, at most ``max_epochs``)."""

DATASETS = ("mnist", "fashion-mnist", "cifar10")
"""The datasets :func:`load_task` names."""

FASHION_MNIST_FOLDERS = ("/usr/share/datasets/fashion-mnist",)
"""Where Fashion-MNIST's IDX files are looked for when no folder is given (after the environment variable
``NEUROWORM_FASHION_MNIST``): Debian's ``dataset-fashion-mnist`` package installs them in the first."""

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
    """Flattened images in [0, 1] with integer labels: training, validation (carved from the training
    images, for the stopping rule) and test (held out from every training step and every choice)."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    test_set: str
    validation_images: np.ndarray = None
    validation_labels: np.ndarray = None

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


def fashion_mnist_folder(data=None):
    """The folder of Fashion-MNIST's four IDX files: ``data``, ``$NEUROWORM_FASHION_MNIST`` or Debian's.

    Raises
    ------
    DatasetFileError
        If none holds the files, saying how to install them.
    """
    import os
    from pathlib import Path

    candidates = [data] if data is not None else [os.environ.get("NEUROWORM_FASHION_MNIST"), *FASHION_MNIST_FOLDERS]
    for candidate in candidates:
        if candidate and (Path(candidate) / "train-images-idx3-ubyte.gz").is_file():
            return Path(candidate)
        if candidate and (Path(candidate) / "train-images-idx3-ubyte").is_file():
            return Path(candidate)
    raise DatasetFileError(
        data if data is not None else FASHION_MNIST_FOLDERS[0],
        "holds no Fashion-MNIST IDX files: on Debian or Ubuntu run `apt-get install dataset-fashion-mnist`, or "
        "pass data=FOLDER (or set NEUROWORM_FASHION_MNIST) for a folder of the four files from "
        "github.com/zalandoresearch/fashion-mnist")


def _hold_out(images, labels, per_class, rng):
    """Split ``per_class`` images of every class off the training images (the validation set)."""
    validation = np.sort(_stratified(labels, per_class, rng))
    keep = np.ones(len(labels), bool)
    keep[validation] = False
    return images[keep], labels[keep], images[validation], labels[validation]


def pool_images(images, size):
    """Average-pool square one-channel images over ``size`` × ``size`` blocks: (n, s²) → (n, (s / size)²).

    Raises
    ------
    ConfigError
        If the images are not square or their side is not a multiple of ``size``.
    """
    images = np.asarray(images)
    side = round(float(np.sqrt(images.shape[1])))
    if side * side != images.shape[1] or side % int(size):
        raise ConfigError(f"pool: {images.shape[1]} pixels are not a square whose side is a multiple of {size}")
    blocks = images.reshape(len(images), side // size, size, side // size, size)
    return blocks.mean(axis=(2, 4)).reshape(len(images), -1).astype(images.dtype)


def load_task(dataset="mnist", data=None, *, train_per_class=200, validation_per_class=0, test_per_class=None,
              seed=0, pool=1):
    """Training, validation and held-out test images of ``dataset``.

    Parameters
    ----------
    dataset : {"mnist", "fashion-mnist", "cifar10"}
    data : str or path-like, optional
        MNIST: a folder of the four IDX files (default: the embedded 5,000
        digits). Fashion-MNIST: its IDX folder (default: see
        :func:`fashion_mnist_folder`). CIFAR-10: the folder of python batches
        (required).
    train_per_class, test_per_class : int or None
        Stratified sub-samples; ``None`` keeps every image (for MNIST's
        embedded set the test set is then every digit not drawn for
        training). ``train_per_class`` counts the training images proper.
    validation_per_class : int
        Further images per class drawn from the training pool (never from
        the test set) for the stopping rule; 0 for none.
    seed : int
    pool : int
        Average-pool every image over ``pool`` × ``pool`` blocks (MNIST-like
        images only; 4 gives 7 × 7 = 49 inputs).

    Returns
    -------
    ImageTask

    Raises
    ------
    ConfigError
        For an unknown dataset, or CIFAR-10 without a folder.
    DatasetFileError
        If Fashion-MNIST's files are not installed.
    """
    rng = make_rng(seed)
    validation_per_class = int(validation_per_class or 0)
    if dataset in ("mnist", "fashion-mnist"):
        from ..tasks.mnist import load_mnist, split_mnist

        mnist = load_mnist(data if dataset == "mnist" else fashion_mnist_folder(data))
        if train_per_class is None:
            per_class = int(np.bincount(mnist.labels[~mnist.official_test]).min()) - (100 if mnist.embedded else 0)
        else:
            per_class = train_per_class + validation_per_class
        split = split_mnist(mnist, train_per_class=per_class, test_per_class=test_per_class, seed=rng)
        train_images, train_labels, test_images, test_labels = (split.train_images, split.train_labels,
                                                                split.test_images, split.test_labels)
        test_set = split.test_set if dataset == "mnist" else (
            f"{len(test_labels)} images of Fashion-MNIST's official 10,000-image test set")
    elif dataset == "cifar10":
        from ..tasks.cifar10 import load_cifar10

        if data is None:
            raise ConfigError("dataset 'cifar10' needs data=FOLDER (cifar-10-batches-py); CIFAR-10 is not bundled")
        cifar = load_cifar10(data)
        per_class = None if train_per_class is None else train_per_class + validation_per_class
        train = _stratified(cifar.train_labels, per_class, rng)
        test = np.sort(_stratified(cifar.test_labels, test_per_class, rng))
        train_images, train_labels = cifar.train_images[train], cifar.train_labels[train]
        test_images, test_labels = cifar.test_images[test], cifar.test_labels[test]
        test_set = f"{len(test)} images of CIFAR-10's official test_batch"
    else:
        raise ConfigError(f"dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
    validation_images = validation_labels = None
    if validation_per_class:
        train_images, train_labels, validation_images, validation_labels = _hold_out(
            train_images, train_labels, validation_per_class, rng)
    if int(pool) > 1:
        train_images, test_images = pool_images(train_images, pool), pool_images(test_images, pool)
        validation_images = None if validation_images is None else pool_images(validation_images, pool)
    return ImageTask(dataset, train_images, train_labels, test_images, test_labels, test_set, validation_images,
                     validation_labels)


def tensor_network(graph, input_size, output_size, settings, *, seed, output_activation="identity",
                   connections=None):
    """ElegansNet's tensor network of ``graph`` (a Connectome, or an already layered one).

    ``connections``: match the layered DAG to this many connections first
    (:func:`~neuroworm.connectome.layering.match_connections`, seeded by ``seed``).
    """
    from ..connectome.layering import LayeredConnectome, layered_dag, match_connections
    from ..nn.tensor_network import TensorNetwork

    rng = make_rng(seed)
    dag = graph if isinstance(graph, LayeredConnectome) else layered_dag(graph)
    if connections is not None:
        dag = match_connections(dag, connections, seed=rng)
    return TensorNetwork(dag, input_size, output_size, channels=settings["channels"],
                         output_activation=output_activation, dtype="float32", seed=rng)


def equal_parameter_mlp(parameters, input_size, output_size, *, seed, output_activation="identity"):
    """A one-hidden-layer ReLU MLP whose parameter count is the closest to ``parameters``."""
    from ..nn import mlp

    hidden = max(1, round((parameters - output_size) / (input_size + output_size + 1)))
    return mlp([input_size, hidden, output_size], output_activation=output_activation, dtype="float32", seed=seed)


def train(network, task, settings, *, seed, loss="cross_entropy", targets=None, validation_targets=None,
          test_targets=None):
    """Train ``network`` on ``task`` with Adam until validation stops improving; test once at the end.

    After every epoch the validation set is scored (accuracy for labels,
    loss otherwise); training stops after ``settings["patience"]`` epochs
    without a better score (at most ``settings["max_epochs"]``) and the
    best-validated parameters are kept. Only then is the test set read.
    ``targets`` / ``validation_targets`` / ``test_targets`` replace the
    labels (images for reconstruction, permuted labels for the leak check).

    Returns
    -------
    curve : pandas.DataFrame
        One row per epoch (0 = before training): ``train_loss``,
        ``validation_loss``, ``validation_accuracy``.
    result : dict
        ``test_accuracy``, ``test_loss``, ``train_accuracy`` (NaN for
        reconstruction), ``best_epoch``, ``epochs``.
    """
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from ..nn import LOSSES, Adam, evaluate, minibatches

    if task.validation_images is None:
        raise ConfigError("train needs a task with a validation split (load_task(validation_per_class=...))")
    targets = task.train_labels if targets is None else targets
    validation_targets = task.validation_labels if validation_targets is None else validation_targets
    test_targets = task.test_labels if test_targets is None else test_targets
    loss_function, labels = LOSSES[loss], loss == "cross_entropy"
    rng, optimizer = make_rng(seed), Adam(settings["learning_rate"])
    rows = []
    with threadpool_limits(1):  # small products: one BLAS thread is fastest on a loaded machine
        def score(epoch, train_loss):
            value, accuracy = evaluate(network, task.validation_images, validation_targets, loss=loss)
            rows.append({"epoch": epoch, "train_loss": train_loss, "validation_loss": value,
                         "validation_accuracy": accuracy})
            return accuracy if labels else -value

        best, best_epoch, best_parameters = score(0, np.nan), 0, network.get_parameter_vector()
        for epoch in range(1, settings["max_epochs"] + 1):
            losses = []
            for batch in minibatches(len(targets), settings["batch_size"], seed=rng):
                value, gradient = loss_function(network.forward(task.train_images[batch]), targets[batch])
                network.backward(gradient)
                optimizer.step(network.parameters(), network.gradients())
                losses.append(value * len(batch))
            current = score(epoch, float(np.sum(losses) / len(targets)))
            if current > best:
                best, best_epoch, best_parameters = current, epoch, network.get_parameter_vector()
            elif epoch - best_epoch >= settings["patience"]:
                break
        network.set_parameter_vector(best_parameters)
        test_loss, test_accuracy = evaluate(network, task.test_images, test_targets, loss=loss)
        train_accuracy = evaluate(network, task.train_images, targets)[1] if labels else float("nan")
    return pd.DataFrame(rows), {"test_accuracy": test_accuracy, "test_loss": test_loss,
                                "train_accuracy": train_accuracy, "best_epoch": best_epoch, "epochs": epoch}


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
