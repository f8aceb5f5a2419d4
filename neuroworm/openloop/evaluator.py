"""Open-loop evaluation: a population of P networks classifies images in one batched computation.

In the closed loop (:mod:`neuroworm.control`) a network's outputs change
what it sees next. Here they do not: each image is one trial, presented
for T neural steps, and the network's answer is read at the end. For P
genomes and a minibatch of B images the evaluator builds **one** backend
population of P·B networks (:func:`neuroworm.backends.make_backend`, any
backend of the protocol: the NumPy ``reference`` for the spiking models,
``relu`` for rate networks, ``brian2``), individual ``p·B + b`` being
genome p looking at image b, and runs it once:

1. **Encoder** (rate coding of the pixels as input currents, as the closed
   loop's :class:`~neuroworm.control.Controller` encodes observations)::

       I_pb = input_gain · tanh(x_b · W_enc,p)          x_b: pixels in [0, 1], (n_pixels,)
                                                        W_enc,p: (n_pixels, n_inputs)

   held on the input cells for T steps
   (:meth:`~neuroworm.backends.NetworkPopulation.advance`);
2. **Decoder**: the summed activity of the output cells over the T steps
   (spike counts for spiking networks) as rates, times the decoder::

       s_pb = (c_pb / T) · W_dec,p                      c_pb: (n_outputs,),  W_dec,p: (n_outputs, n_classes)

3. **Fitness** of genome p on the minibatch, either the accuracy
   ``(1/B) Σ_b [argmax_k s_pbk = y_b]`` or the negative cross-entropy
   ``-(1/B) Σ_b (log Σ_k exp s_pbk - s_pb,y_b)``.

Both products are stacks of matrix products over the population
(``numpy.matmul`` of (1, B, n_pixels) by (P, n_pixels, n_inputs) and of
(P, B, n_outputs) by (P, n_outputs, n_classes)). The network state is reset
before every chunk of images, so each image is classified from rest and the
answer for an image does not depend on the chunk it was in (a test holds
batched results against one-image-at-a-time ones).

The genome is the closed loop's: a :class:`~neuroworm.genome.GenomeLayout`
of the circuit with ``n_observations = n_pixels`` and
``n_actions = n_classes``, so the evolution driver
(:func:`neuroworm.evolve.run`) and its strategies, mutation groups,
checkpoints and maps work unchanged; the backend gets only the network's
slices (weights, conductances, per-neuron parameters).

References
----------
Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as a
representation for the architecture of artificial neural networks.
Section "Limitations of priors" and Fig. 5 (MNIST).
"""

import math

import numpy as np

from ..errors import ConfigError, TaskError
from ..limits import require_memory
from ..neurons.models import ModelTable
from ..validation import check_positive_int

__all__ = ["DEFAULT_BACKEND", "DEFAULT_STEPS", "OpenLoopEvaluator", "accuracy", "cross_entropy"]

DEFAULT_STEPS = ModelTable("open_loop_steps", aliases=True)
"""Neural steps T per image, by model (ours: the paper does not say how images were presented).

A read-only view of each registered model's ``open_loop_steps``
(:mod:`neuroworm.neurons.models`). Spiking cells get T = 20 steps of 1 ms,
so an output rate takes one of 21 values; a ReLU network gets 4 steps,
enough for activity to cross the two synapses from encoder-driven cells to
read-out cells of a two-layer MLP (``z`` of the first layer at step 1, of
the second at step 2).
"""

DEFAULT_BACKEND = ModelTable("open_loop_backend", aliases=True)
"""Backend per model (each registered model's ``open_loop_backend``): the NumPy reference for the
spiking models (it equals Brian2 bit for bit); ``"dense"`` for ReLU networks, the batched dense
products of :mod:`neuroworm.backends.dense` (one weight matrix per genome shared by its images;
any registered backend, e.g. ``"relu"``, can be asked for instead)."""

FITNESS = ("accuracy", "cross_entropy")


def accuracy(scores, labels):
    """Fraction of images whose highest score is their label, per network.

    Parameters
    ----------
    scores : array_like, shape (P, B, n_classes)
    labels : array_like of int, shape (B,)

    Returns
    -------
    numpy.ndarray, shape (P,)
        ``(1/B) Σ_b [argmax_k s_pbk = y_b]``; ties go to the lowest class,
        so a silent network (all scores equal) answers class 0.
    """
    scores = np.asarray(scores)
    return (np.argmax(scores, axis=-1) == np.asarray(labels)[None, :]).mean(axis=1)


def cross_entropy(scores, labels):
    """Mean softmax cross-entropy per network, ``(1/B) Σ_b (log Σ_k e^{s_pbk} - s_pb,y_b)``.

    Returns
    -------
    numpy.ndarray, shape (P,)
        ≥ 0; ``log n_classes`` for a network whose scores are all equal.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    top = scores.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(scores - top).sum(axis=-1)) + top[..., 0]
    chosen = np.take_along_axis(scores, labels[None, :, None].repeat(scores.shape[0], 0), axis=-1)[..., 0]
    return (log_sum - chosen).mean(axis=1)


class OpenLoopEvaluator:
    """``evaluator(genomes (P, D)) -> fitness (P,)`` on a labelled image set.

    Parameters
    ----------
    circuit : Circuit
        The network: its input cells receive the encoded pixels, its output
        cells are read by the decoder.
    model : str
        A registered model (``"alif"``, ``"lif"``, ``"izhikevich"``, ``"relu"``, ...).
    images : array_like, shape (n_images, n_pixels)
        Training images, intensities in [0, 1] (:func:`neuroworm.tasks.mnist.split_mnist`).
    labels : array_like of int, shape (n_images,)
        Class indices 0 … n_classes-1.
    n_classes : int, optional
        Default ``labels.max() + 1``.
    backend : str, optional
        A registered backend (default :data:`DEFAULT_BACKEND` of the model).
    steps : int, optional
        T, neural steps per image (default :data:`DEFAULT_STEPS`).
    minibatch : int, optional
        Images per evaluation. ``None`` (default): every training image, the
        same for every genome (a deterministic fitness). An integer B: each
        genome is scored on B images drawn without replacement with the
        seed the evolution driver gives it (``seeds``), so a run stays
        reproducible and resumable.
    fitness : {"accuracy", "cross_entropy"}
        Accuracy, or the negative cross-entropy (higher is better either way).
    chunk : int
        Images per backend run (memory: the backend holds P·chunk networks).
    input_gain : float
        Factor on the encoder's tanh.
    backend_options : dict, optional
        Passed to the backend's constructor (``gap_junctions``, ``dt``, ...).
    per_neuron : sequence of str
        Neuron parameters evolved per cell (as :class:`~neuroworm.genome.GenomeLayout`).
    blas_threads : int or None
        Threads for NumPy's BLAS during an evaluation (default 1: on a shared,
        loaded machine one thread is many times faster); ``None`` leaves it.

    Attributes
    ----------
    layout : GenomeLayout
        The genome: network slices, ``encoder`` (n_pixels, n_inputs) and
        ``decoder`` (n_outputs, n_classes).
    network_layout : GenomeLayout
        The same network without encoder and decoder: what the backend loads.

    Raises
    ------
    TaskError
        Images and labels that do not match, labels outside 0 … n_classes-1,
        pixel values outside [0, 1] or not finite.
    ConfigError
        Unknown fitness, a count below 1, a minibatch larger than the set.

    Examples
    --------
    >>> split = split_mnist(train_per_class=20, test_per_class=20, seed=0)
    >>> evaluator = OpenLoopEvaluator(circuit, "alif", split.train_images, split.train_labels)
    >>> fitness = evaluator(evaluator.layout.random(8, seed=0))          # (8,) training accuracy
    >>> test = evaluator.accuracy(genomes, split.test_images, split.test_labels)
    """

    def __init__(self, circuit, model, images, labels, *, n_classes=None, backend=None, steps=None, minibatch=None,
                 fitness="accuracy", chunk=100, input_gain=1.0, backend_options=None, per_neuron=(),
                 blas_threads=1):
        from ..genome import GenomeLayout

        self.images, self.labels = self._check_data(images, labels, n_classes)
        self.n_classes = int(n_classes) if n_classes is not None else int(self.labels.max()) + 1
        model_name = str(model).lower()
        self.model = model_name
        self.circuit = circuit
        self.layout = GenomeLayout(circuit, model_name, n_observations=self.images.shape[1],
                                   n_actions=self.n_classes, per_neuron=per_neuron)
        self.network_layout = GenomeLayout(circuit, model_name, per_neuron=per_neuron)
        facts = self.layout.model  # the registered model: its open-loop backend and steps
        self.backend = backend or facts.open_loop_backend
        from ..backends import get_backend

        get_backend(self.backend)  # an unknown name fails here, naming the registered ones
        self.steps = check_positive_int("steps", steps if steps is not None else facts.open_loop_steps)
        self.minibatch = None if minibatch is None else check_positive_int("minibatch", minibatch)
        if self.minibatch is not None and self.minibatch > len(self.labels):
            raise ConfigError(f"minibatch {self.minibatch} is larger than the {len(self.labels)} training images")
        if fitness not in FITNESS:
            raise ConfigError(f"fitness must be one of {FITNESS}, got {fitness!r}")
        self.fitness = fitness
        self.chunk = check_positive_int("chunk", chunk)
        if not (isinstance(input_gain, (int, float)) and math.isfinite(input_gain)):
            raise ConfigError(f"input_gain must be a finite number, got {input_gain!r}")
        self.input_gain = float(input_gain)
        self.backend_options = dict(backend_options or {})
        self.blas_threads = blas_threads
        network_slices = [part for name, part in self.layout.slices.items() if name not in ("encoder", "decoder")]
        self._network_genes = (np.concatenate([np.arange(s.start, s.stop) for s in network_slices])
                               if network_slices else np.zeros(0, dtype=np.int64))
        self._populations = {}

    def __repr__(self):
        return (f"<OpenLoopEvaluator {self.model} on {self.circuit.name!r} ({self.backend}): "
                f"{len(self.labels)} images, {self.n_classes} classes, T={self.steps}, fitness={self.fitness}>")

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_populations"] = {}  # backends are rebuilt where the evaluator is used
        return state

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _check_data(images, labels, n_classes):
        images = np.asarray(images, dtype=np.float64)
        labels = np.asarray(labels)
        if images.ndim != 2 or images.shape[0] == 0:
            raise TaskError(f"images must have shape (n_images, n_pixels) with n_images >= 1, got {images.shape}")
        if labels.shape != (images.shape[0],):
            raise TaskError(f"labels must have shape ({images.shape[0]},) to match the images, got {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise TaskError(f"labels must be integers, got dtype {labels.dtype}")
        if not np.isfinite(images).all() or images.min() < 0.0 or images.max() > 1.0:
            raise TaskError("pixel values must be finite and in [0, 1] (divide 0-255 intensities by 255)")
        limit = int(n_classes) if n_classes is not None else None
        if labels.min() < 0 or (limit is not None and labels.max() >= limit):
            expected = f"0..{limit - 1}" if limit is not None else ">= 0"
            raise TaskError(f"labels must be class indices {expected}; found {labels.min()}..{labels.max()}")
        return images, labels.astype(np.int64)

    # ------------------------------------------------------------------ computing
    def scores(self, genomes, images):
        """Class scores ``s`` of every genome for every image.

        Parameters
        ----------
        genomes : array_like, shape (P, D) or (D,)
        images : array_like, shape (B, n_pixels)

        Returns
        -------
        numpy.ndarray, shape (P, B, n_classes)
            ``(c / T) · W_dec``; NaN for a genome whose network diverged on an image.
        """
        genomes, rates = self._checked_rates(genomes, images)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.matmul(rates, self.layout.decode(genomes)["decoder"])

    def output_rates(self, genomes, images):
        """Activity of the output cells per step, ``c / T``, of every genome for every image.

        Returns
        -------
        numpy.ndarray, shape (P, B, n_outputs)
            Spike rates in [0, 1] for spiking cells, mean ReLU outputs for
            rate cells; NaN where a network diverged. All zero for an image
            means nothing reached the read-out.
        """
        return self._checked_rates(genomes, images)[1]

    def _checked_rates(self, genomes, images):
        from contextlib import nullcontext

        genomes = self.layout.validate(genomes)
        genomes = genomes[None, :] if genomes.ndim == 1 else genomes
        images = np.asarray(images, dtype=np.float64)
        if images.ndim != 2 or images.shape[1] != self.layout.n_observations:
            raise TaskError(f"images must have shape (B, {self.layout.n_observations}), got {images.shape}")
        if self.blas_threads is None:
            limit = nullcontext()
        else:
            from threadpoolctl import threadpool_limits

            limit = threadpool_limits(int(self.blas_threads))
        with limit:
            return genomes, self._rates(genomes, images)

    def _rates(self, genomes, images):
        from ..backends import get_backend

        encoder = self.layout.decode(genomes)["encoder"]
        network = genomes[:, self._network_genes]
        population, n_images, n_outputs = genomes.shape[0], images.shape[0], len(self.circuit.output_index)
        per_chunk = min(self.chunk, n_images) * (encoder.shape[-1] + 8 * self.circuit.n_neurons)  # input, state
        require_memory(8 * population * (n_images * n_outputs + per_chunk),
                       f"{population} networks on {n_images} images",
                       advice="evaluate fewer individuals or images at once (a smaller chunk)")
        out = np.empty((genomes.shape[0], images.shape[0], len(self.circuit.output_index)))
        backend = get_backend(self.backend)
        for start in range(0, images.shape[0], self.chunk):
            batch = images[start:start + self.chunk]
            with np.errstate(over="ignore", invalid="ignore"):
                current = self.input_gain * np.tanh(np.matmul(batch[None, :, :], encoder))  # (P, size, n_inputs)
                activity = backend.open_loop_activity(self.network_layout, network, current, self.steps,
                                                      populations=self._populations, **self.backend_options)
            out[:, start:start + batch.shape[0]] = activity / self.steps
        return out

    def _score(self, scores, labels):
        value = accuracy(scores, labels) if self.fitness == "accuracy" else -cross_entropy(scores, labels)
        value = np.asarray(value, dtype=np.float64)
        value[~np.isfinite(scores).all(axis=(1, 2))] = np.nan  # a diverged network fails
        return value

    def __call__(self, genomes, seeds=None):
        """Fitness of each genome on the training images (or its seeded minibatch).

        Parameters
        ----------
        genomes : array_like, shape (P, D)
        seeds : sequence of int, optional
            One per genome (given by :func:`neuroworm.evolve.run`); used only
            when ``minibatch`` is set, to draw each genome's minibatch.

        Returns
        -------
        numpy.ndarray, shape (P,)
            Accuracy or negative cross-entropy; NaN for a diverged network.
        """
        genomes = self.layout.validate(genomes)
        genomes = genomes[None, :] if genomes.ndim == 1 else genomes
        if self.minibatch is None:
            return self._score(self.scores(genomes, self.images), self.labels)
        if seeds is None or len(seeds) != genomes.shape[0]:
            raise ConfigError(f"minibatch={self.minibatch} needs one seed per genome ({genomes.shape[0]})")
        from ..seeding import make_rng

        fitness = np.empty(genomes.shape[0])
        for index, seed in enumerate(seeds):
            chosen = make_rng(int(seed)).choice(len(self.labels), size=self.minibatch, replace=False)
            fitness[index] = self._score(self.scores(genomes[index], self.images[chosen]), self.labels[chosen])[0]
        return fitness

    def accuracy(self, genomes, images, labels):
        """Accuracy of each genome on a labelled set (e.g. held-out test digits), shape (P,)."""
        images, labels = self._check_data(images, labels, self.n_classes)
        scores = self.scores(genomes, images)
        value = accuracy(scores, labels)
        value[~np.isfinite(scores).all(axis=(1, 2))] = np.nan
        return value
