"""Training procedures of Gorantla et al.: NNE on MNIST, SignSGD and Adam readouts, the SGD baseline.

The pieces the reproductions in :mod:`neuroworm.papers.gorantla2019`
combine; each is usable on its own:

* :class:`NNEFitness` -- the evaluate function ``δ_x`` of Sec. 3.1 for
  :func:`neuroworm.evolve.run` (picklable, batched over genotypes);
* :func:`evolve_nne` -- NNE on an :class:`~neuroworm.tasks.mnist.MNISTSplit`
  through the driver (seeded, checkpointed, resumable);
* :func:`nne_test_accuracy` -- test accuracy of genotypes sampled from the
  evolved allele frequencies (mean ± std), of the rounded genotype and of the
  mean network ``W·p``;
* :func:`train_readout` -- the output layer alone on fixed hidden activations,
  by SignSGD (eq. 4) or Adam, through :mod:`neuroworm.nn`;
* :func:`train_masked_network` -- the SGD baseline of Table 1: the same
  sparse 784-h-k network, both layers, trained by Adam.
"""

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..seeding import make_rng

__all__ = [
    "NNEFitness",
    "SampledAccuracy",
    "evolve_nne",
    "fit_readout",
    "nne_test_accuracy",
    "train_masked_network",
    "train_readout",
]


class NNEFitness:
    """``δ_x`` of every genotype on the training digits (Sec. 3.1), for :func:`neuroworm.evolve.run`.

    Parameters
    ----------
    network : neuroworm.backends.nne.NNENetwork
    images, labels : numpy.ndarray
        The training set ``S``.
    minibatch : int, optional
        Digits per generation.  ``None`` uses all of ``S`` (the paper's
        definition of ``δ_x``); a number draws that many digits per
        generation, the same for every genotype of the generation, from the
        generation's first evaluation seed (so the population must be
        evaluated in one call: the driver's default in-process map).
    """

    def __init__(self, network, images, labels, minibatch=None):
        self.network, self.images, self.labels = network, np.asarray(images, np.float32), np.asarray(labels)
        self.minibatch = None if minibatch is None or minibatch >= len(self.labels) else int(minibatch)

    def __call__(self, genomes, seeds=None):
        images, labels = self.images, self.labels
        if self.minibatch is not None:
            rng = make_rng(int(seeds[0]) if seeds is not None and len(seeds) else 0)
            rows = rng.choice(len(labels), self.minibatch, replace=False)
            images, labels = images[rows], labels[rows]
        return self.network.fitness(np.asarray(genomes), images, labels)


def _blas(threads):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(threads)


class SampledAccuracy:
    """Accuracy of genotypes drawn from allele frequencies, on held-out digits (a ``heldout`` for :func:`evolve_nne`).

    Deterministic: the same ``seed`` draws the genotypes at every call, so a
    resumed run logs what an uninterrupted one does.

    Parameters
    ----------
    network : neuroworm.backends.nne.NNENetwork
    images, labels : numpy.ndarray
        Digits no generation is scored on.
    samples : int
        Genotypes drawn from ``p`` per call.
    seed : int
    """

    def __init__(self, network, images, labels, samples=5, seed=0):
        self.network, self.images, self.labels = network, np.asarray(images, np.float32), np.asarray(labels)
        self.samples, self.seed = int(samples), int(seed)

    def __call__(self, frequencies):
        frequencies = np.asarray(frequencies)
        genotypes = make_rng(self.seed).random((self.samples, len(frequencies))) < frequencies
        return self.network.accuracy(genotypes.astype(np.float32), self.images, self.labels)


def evolve_nne(split, *, n_genes, n_hidden, population_size, generations, epsilon=None, minibatch=None, seed=0,
               checkpoint=None, resume=False, blas_threads=1, network_seed=None, threads=1, validation=None,
               validation_every=10, validation_samples=5, map=None, batch_size=None):
    """Evolve allele frequencies on ``split``'s training digits (Sec. 3.1).

    Parameters
    ----------
    split : neuroworm.tasks.mnist.MNISTSplit
    n_genes, n_hidden, population_size, generations : int
        ``n``, ``h``, ``N`` and ``T``.
    epsilon : float, optional
        Selection strength of eq. (3); default the weak-selection bound
        :func:`neuroworm.evolve.nne.weak_selection_epsilon` of ``α²``, with
        ``α = log k`` for the network's ``k`` outputs.
    minibatch : int, optional
        See :class:`NNEFitness` (default: every training digit, Sec. 3.1).
    seed : int
        Seeds the run (genotype sampling, minibatches); ``network_seed``
        (default ``seed``) draws the input graph and ``W``.
    checkpoint : path, optional
        Checkpoint file of the run; with ``resume=True`` an existing one is
        continued (a finished run returns at once), a missing one is started.
    blas_threads : int
        BLAS threads (one is fastest on a shared two-core machine).
    threads : int
        Threads over genotype blocks in :meth:`NNENetwork.logits`.
    validation : tuple, optional
        ``(images, labels)`` of held-out digits: every ``validation_every``
        generations the logbook's ``heldout_mean`` is the mean accuracy of
        ``validation_samples`` genotypes drawn from ``p`` (:class:`SampledAccuracy`).
    map : None, "process", "dask" or str, optional
        How the population's batches are evaluated
        (:func:`neuroworm.evolve.run`): in process, a process pool, a local
        Dask cluster, or a Dask scheduler's address, whose workers each
        score ``batch_size`` genotypes at a time.  Results do not depend on
        it for a given ``batch_size``.
    batch_size : int, optional
        Genotypes per evaluation batch (default: the whole population).

    Returns
    -------
    network : NNENetwork
    result : neuroworm.evolve.EvolutionResult
        ``result.strategy.frequencies`` is the evolved ``p``.
    """
    from ..backends.nne import NNENetwork, random_guess_loss
    from ..evolve import run
    from ..evolve.nne import NNE, weak_selection_epsilon

    network = NNENetwork(n_genes=n_genes, n_hidden=n_hidden, n_outputs=split.n_classes, threads=threads,
                         seed=seed if network_seed is None else network_seed)
    if epsilon is None:
        epsilon = weak_selection_epsilon(random_guess_loss(split.n_classes) ** 2)
    fitness = NNEFitness(network, split.train_images, split.train_labels, minibatch)
    heldout = None if validation is None else SampledAccuracy(network, *validation, samples=validation_samples,
                                                              seed=seed + 12345)
    resume = bool(resume) and checkpoint is not None and Path(checkpoint).exists()
    with _blas(blas_threads):
        result = run(NNE(n_genes, population_size=population_size, epsilon=epsilon), fitness, generations,
                     seed=seed, checkpoint=checkpoint, resume=resume, progress=False, heldout=heldout,
                     heldout_every=validation_every, map=map,
                     batch_size=population_size if batch_size is None else batch_size)
    return network, result


def nne_test_accuracy(network, frequencies, images, labels, *, samples=10, seed=0):
    """Test accuracy of what NNE evolved.

    Returns
    -------
    dict
        ``sampled_mean``, ``sampled_std`` over ``samples`` genotypes drawn
        from ``p`` (the population NNE actually produces), ``rounded``
        (the genotype ``x = [p > 1/2]``) and ``mean_network`` (weights
        ``W·p``).
    """
    rng = make_rng(seed)
    frequencies = np.asarray(frequencies)
    genotypes = (rng.random((samples, len(frequencies))) < frequencies).astype(np.float32)
    sampled = network.accuracy(genotypes, images, labels)
    rounded = network.accuracy((frequencies > 0.5)[None].astype(np.float32), images, labels)[0]
    mean = network.accuracy(frequencies[None].astype(np.float32), images, labels)[0]
    return {"sampled_mean": float(sampled.mean()), "sampled_std": float(sampled.std()),
            "rounded": float(rounded), "mean_network": float(mean), "samples": int(samples)}


def fit_readout(train_features, train_labels, *, optimizer, learning_rate, epochs, initial_weights=None,
                batch_size=50, seed=0, validation=None, n_classes=None, blas_threads=1):
    """Train the output layer alone on fixed hidden activations; return the network and its history.

    ``optimizer="signsgd"`` is eq. (4) of Sec. 3.1,
    :math:`w_{ij} \\leftarrow w_{ij} - \\epsilon' \\operatorname{sign}(\\sum_b (z_{bj} - \\ell_{bj}) h_{bi})`
    over a minibatch; ``"adam"`` is Adam.  No bias, as in the paper's
    networks.

    Parameters
    ----------
    train_features : numpy.ndarray
        ``(B, h)`` hidden activations.
    train_labels : numpy.ndarray
        ``(B,)`` class indices.
    optimizer : {"signsgd", "adam"}
    learning_rate : float
        ε' for SignSGD, α for Adam.
    epochs : int
    initial_weights : numpy.ndarray, optional
        ``(h, k)`` starting readout (e.g. the NNE genotype's); default
        Kaiming uniform.
    validation : tuple, optional
        ``(features, labels)`` scored after every epoch (and before the first).
    n_classes : int, optional
        Outputs (default: the largest label seen plus one).

    Returns
    -------
    network : neuroworm.nn.LayeredNetwork
    history : neuroworm.nn.History
    """
    from ..nn import Adam, LayeredNetwork, SignSGD, fit

    if optimizer not in ("signsgd", "adam"):
        raise ConfigError(f"optimizer must be 'signsgd' or 'adam', got {optimizer!r}")
    rng = make_rng(seed)
    classes = int(train_labels.max()) + 1 if n_classes is None else int(n_classes)
    network = LayeredNetwork(train_features.shape[1], dtype="float32")
    network.add_layer(classes, activation="identity", bias=False)
    network.initialize(seed=rng)
    if initial_weights is not None:
        network.layers[0].dense.weight[...] = initial_weights
    step = SignSGD(learning_rate) if optimizer == "signsgd" else Adam(learning_rate)
    history = fit(network, train_features, train_labels, optimizer=step, epochs=int(epochs), batch_size=batch_size,
                  seed=rng, validation=validation, blas_threads=blas_threads)
    return network, history


def train_readout(train_features, train_labels, test_features, test_labels, *, optimizer, learning_rate,
                  initial_weights=None, iterations=None, epochs=None, batch_size=50, seed=0, blas_threads=1):
    """Train the output layer alone (:func:`fit_readout`) for a number of steps or epochs; return its test accuracy.

    Parameters
    ----------
    train_features, test_features : numpy.ndarray
        ``(B, h)`` hidden activations.
    optimizer : {"signsgd", "adam"}
    learning_rate : float
    initial_weights : numpy.ndarray, optional
    iterations, epochs : int
        Give one: minibatch steps ("a few hundred iterations") or epochs.

    Returns
    -------
    float
        Test accuracy.
    """
    if (iterations is None) == (epochs is None):
        raise ConfigError("give exactly one of iterations and epochs")
    rng = make_rng(seed)
    if iterations is not None:
        batches_per_epoch = -(-len(train_labels) // batch_size)
        epochs = -(-int(iterations) // batches_per_epoch)
        if iterations < batches_per_epoch:  # fewer steps than one epoch: train on a seeded subset
            rows = rng.choice(len(train_labels), int(iterations) * batch_size, replace=False)
            train_features, train_labels = train_features[rows], train_labels[rows]
            epochs = 1
    network, _ = fit_readout(train_features, train_labels, optimizer=optimizer, learning_rate=learning_rate,
                             epochs=epochs, initial_weights=initial_weights, batch_size=batch_size, seed=rng,
                             n_classes=int(max(train_labels.max(), test_labels.max())) + 1,
                             blas_threads=blas_threads)
    return float(np.mean(network.predict(test_features).argmax(axis=1) == test_labels))


def train_masked_network(split, *, n_hidden, mask, epochs, learning_rate=1e-3, batch_size=50, seed=0,
                         blas_threads=1):
    """The SGD baseline of Table 1: the sparse 784-h-k ReLU network, both layers trained by Adam.

    Parameters
    ----------
    split : neuroworm.tasks.mnist.MNISTSplit
    mask : numpy.ndarray
        ``(784, h)`` 0/1 input graph (the NNE network's).

    Returns
    -------
    float
        Test accuracy.
    """
    from ..nn import Adam, LayeredNetwork, fit

    network = LayeredNetwork(split.train_images.shape[1], dtype="float32")
    network.add_layer(n_hidden, activation="relu", mask=mask, bias=False)
    network.add_layer(split.n_classes, activation="identity", bias=False)
    network.initialize(seed=seed)
    fit(network, split.train_images, split.train_labels, optimizer=Adam(learning_rate), epochs=epochs,
        batch_size=batch_size, seed=seed, blas_threads=blas_threads)
    return float(np.mean(network.predict(split.test_images).argmax(axis=1) == split.test_labels))
