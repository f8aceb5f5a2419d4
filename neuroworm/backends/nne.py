"""Neural Net Evolution (NNE): genotypes of bits, link weights ``W·x`` (Gorantla et al., Sec. 2 and 3.1).

A genotype is a bit string :math:`x \\in \\{0, 1\\}^n`.  The ``m`` link weights
of its network are the sparse linear function of the genes

.. math:: w = W x, \\qquad W \\in \\mathbb{R}^{m \\times n},\\;
          W_{lg} \\sim \\begin{cases} U[-1, 1] & \\text{with probability } \\beta\\\\
          0 & \\text{otherwise,}\\end{cases}

(Sec. 2, "weight generation matrix").  The MNIST network of Sec. 3.1 has 784
inputs, ``h`` ReLU hidden units wired from the inputs by a sparse random
graph (each input–hidden edge present with probability 0.1), and 10 softmax
outputs fully connected to the hidden layer; there are no biases.

The Sec. 3.2 ``α`` is the loss of a uniform guess over the network's own
outputs, :math:`\\alpha = \\log k` (``log 10`` for 0-9, ``log 5`` for the
five-output 0-4 network): :func:`random_guess_loss`.

:class:`NNENetwork` evaluates a whole population of ``N`` genotypes at once
(:meth:`NNENetwork.logits`).  The first layer is sparse (78 of 784 inputs per
hidden unit), so it is *not* done as a dense ``784 × h`` product (ten times
the work): the hidden units are sorted by in-degree and cut into chunks of
``chunk`` units; for a chunk, the images' pixels feeding each unit are
gathered once per call into ``(K, D, B)`` (``D`` the chunk's largest
in-degree, shorter units padded with a zero pixel), each genotype's link
weights into ``(K, N_b, D)``, and one batched ``numpy.matmul`` over the ``K``
units does ``N_b × D`` by ``D × B`` per unit -- exactly the sparse
multiply-adds, as well-shaped BLAS products, written straight into a
``(N_b, K, B)`` buffer whose ReLU the output layer takes as a batched
``(10 × K)·(K × B)`` product.  Genotype blocks run on ``threads`` threads
(NumPy releases the GIL in BLAS).  ``benchmarks/bench_nne_dnn.py`` times it
beside the machine's dense float32 product rate.

References
----------
S. Gorantla, A. Louis, C. H. Papadimitriou, S. Vempala and N. Yadati.
Biologically plausible neural networks via evolutionary dynamics and
dopaminergic plasticity.  (``../shared/papers/gorantla_nne_dnn.md``.)
"""

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ConfigError, GenomeError
from ..seeding import make_rng
from ..validation import check_positive_int

__all__ = [
    "RANDOM_GUESS_LOSS",
    "NNENetwork",
    "cross_entropy",
    "random_guess_loss",
    "relative_performance",
    "sign_weight_generation",
    "uniform_weight_generation",
]

#: Cross-entropy of a uniform guess over 10 classes, :math:`\alpha = -\log(1/10)` (Sec. 3.1).
RANDOM_GUESS_LOSS = math.log(10.0)


def random_guess_loss(n_classes):
    """``α = -log(1/k)``: the cross-entropy of a uniform guess over ``k`` outputs (Sec. 3.1 with ``k`` classes).

    Parameters
    ----------
    n_classes : int
        ``k``, the network's outputs (10 for MNIST 0-9, 5 for 0-4).

    Returns
    -------
    float
    """
    return math.log(check_positive_int("n_classes", n_classes))


def uniform_weight_generation(n_links, n_genes, density, *, seed=None):
    """The weight-generation matrix of Sec. 2: entries ``U[-1, 1]`` with probability ``density`` (β).

    Parameters
    ----------
    n_links : int
        ``m``, rows (one per link of the network).
    n_genes : int
        ``n``, columns (one per gene).
    density : float
        β in (0, 1]; the paper uses 0.0025 for MNIST.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    scipy.sparse.csr_matrix
        ``float32``, shape ``(m, n)``, about ``β·m·n`` stored entries.
    """
    return _random_sparse(n_links, n_genes, density, lambda rng, k: rng.uniform(-1.0, 1.0, k), seed)


def sign_weight_generation(n_links, n_genes, d, *, seed=None):
    """The weight-generation matrix of Theorem 2: ``±sqrt(m/d)`` with probability ``d/m``, else 0.

    Parameters
    ----------
    n_links : int
        ``m``.
    n_genes : int
        ``n``.
    d : float
        Expected non-zeros per column is ``d`` (``0 < d <= m``).
    seed : None, int or numpy.random.Generator

    Returns
    -------
    scipy.sparse.csr_matrix
        ``float32``, shape ``(m, n)``; each column has mean squared norm ``m``.
    """
    if not 0 < d <= n_links:
        raise ConfigError(f"d must be in (0, m={n_links}], got {d}")
    value = math.sqrt(n_links / d)
    return _random_sparse(n_links, n_genes, d / n_links, lambda rng, k: value * rng.choice([-1.0, 1.0], k), seed)


def _random_sparse(n_rows, n_columns, density, values, seed):
    import scipy.sparse as sp

    if not 0 < density <= 1:
        raise ConfigError(f"density must be in (0, 1], got {density}")
    rng = make_rng(seed)
    count = rng.binomial(n_rows * n_columns, density)
    flat = rng.choice(n_rows * n_columns, size=count, replace=False) if count else np.zeros(0, np.int64)
    rows, columns = np.divmod(flat, n_columns)
    matrix = sp.csr_matrix(
        (values(rng, count).astype(np.float32), (rows, columns)), shape=(n_rows, n_columns), dtype=np.float32
    )
    matrix.sort_indices()
    return matrix


def cross_entropy(logits, labels):
    """Softmax cross-entropy :math:`L = -\\log \\mathrm{softmax}(o)_{\\ell}` per row, computed stably.

    Parameters
    ----------
    logits : numpy.ndarray
        ``(..., B, k)``.
    labels : numpy.ndarray
        ``(B,)`` class indices.

    Returns
    -------
    numpy.ndarray
        ``(..., B)`` losses.
    """
    top = logits.max(axis=-1, keepdims=True)
    log_normaliser = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    chosen = np.take_along_axis(logits, np.broadcast_to(labels[:, None], logits.shape[:-1] + (1,)), axis=-1)[..., 0]
    return log_normaliser - chosen


def relative_performance(losses, alpha=RANDOM_GUESS_LOSS):
    """Each genotype's performance relative to a random guess (Sec. 3.1).

    .. math:: \\delta_x = \\frac{1}{|S|} \\sum_{y \\in S} \\max\\{0,\\; \\alpha^2 - L(\\mathrm{NNE}_x(y), \\ell(y))^2\\}

    Parameters
    ----------
    losses : numpy.ndarray
        ``(N, |S|)`` cross-entropy of each genotype on each digit.
    alpha : float
        The loss of a random guess, ``log 10`` for ten classes.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` values in ``[0, α²]``.
    """
    return np.maximum(0.0, alpha**2 - np.asarray(losses, dtype=np.float64) ** 2).mean(axis=-1)


class NNENetwork:
    """The MNIST network of Sec. 3.1 whose link weights are ``W·x``.

    Parameters
    ----------
    n_genes : int
        ``n``, the genotype length ("a few thousand"; the appendix varies it).
    n_hidden : int
        ``h``, hidden ReLU units (1,000 in the paper).
    n_inputs, n_outputs : int
        784 pixels and 10 classes (5 for MNIST 0-4).
    connection_probability : float
        Probability of each input–hidden edge (0.1).
    beta : float
        Density of the weight-generation matrix (0.0025).
    block : int
        Genotypes per batched product (each thread holds a
        ``block × chunk × B`` float32 buffer, ``B`` the images).
    chunk : int
        Hidden units per batched first-layer product (module docstring).
    threads : int
        Threads over genotype blocks (2 uses both cores of a two-core
        machine; run BLAS itself single-threaded).
    seed : None, int or numpy.random.Generator
        Draws the input graph and ``W``.

    Attributes
    ----------
    input_edges : tuple of numpy.ndarray
        ``(input index, hidden index)`` of each input–hidden link; links
        ``0 .. len(input_edges[0]) - 1`` of ``W·x`` are these, the remaining
        ``n_hidden · n_outputs`` are the hidden–output links in C order.
    weight_generation : scipy.sparse.csr_matrix
        ``W``, shape ``(n_links, n_genes)``.

    Examples
    --------
    >>> import numpy as np
    >>> net = NNENetwork(n_genes=200, n_hidden=20, seed=0)
    >>> genotypes = np.random.default_rng(0).integers(0, 2, (3, 200))
    >>> net.logits(genotypes, np.zeros((4, 784), np.float32)).shape
    (3, 4, 10)
    """

    def __init__(self, n_genes=5000, n_hidden=1000, *, n_inputs=784, n_outputs=10, connection_probability=0.1,
                 beta=0.0025, block=100, chunk=100, threads=1, seed=None):
        n_genes, n_hidden = check_positive_int("n_genes", n_genes), check_positive_int("n_hidden", n_hidden)
        n_inputs, n_outputs = check_positive_int("n_inputs", n_inputs), check_positive_int("n_outputs", n_outputs)
        block, chunk = check_positive_int("block", block), check_positive_int("chunk", chunk)
        self.threads = check_positive_int("threads", threads)
        if not 0 < connection_probability <= 1:
            raise ConfigError(f"connection_probability must be in (0, 1], got {connection_probability}")
        rng = make_rng(seed)
        self.n_genes, self.n_hidden = int(n_genes), int(n_hidden)
        self.n_inputs, self.n_outputs = int(n_inputs), int(n_outputs)
        self.connection_probability, self.beta, self.block = float(connection_probability), float(beta), int(block)
        mask = rng.random((self.n_inputs, self.n_hidden)) < connection_probability
        self.input_edges = np.nonzero(mask)
        self.n_input_links = len(self.input_edges[0])
        self.n_links = self.n_input_links + self.n_hidden * self.n_outputs
        self.weight_generation = uniform_weight_generation(self.n_links, self.n_genes, beta, seed=rng)
        self._chunks = self._plan(int(chunk))

    def _plan(self, chunk):
        """Hidden units sorted by in-degree, cut into chunks; each chunk's padded link and pixel indices."""
        inputs, hidden = self.input_edges
        by_unit = np.lexsort((inputs, hidden))  # link numbers grouped by hidden unit
        degree = np.bincount(hidden, minlength=self.n_hidden)
        first = np.concatenate([[0], np.cumsum(degree)])
        units = np.argsort(degree, kind="stable")
        plan = []
        for start in range(0, self.n_hidden, chunk):
            members = units[start : start + chunk]
            width = max(int(degree[members].max()), 1)
            links = np.full((len(members), width), self.n_input_links, np.int64)  # padding -> a zero weight
            pixels = np.full((len(members), width), self.n_inputs, np.int64)  # padding -> a zero pixel
            for row, unit in enumerate(members):
                own = by_unit[first[unit] : first[unit + 1]]
                links[row, : len(own)], pixels[row, : len(own)] = own, inputs[own]
            plan.append((members, links, pixels))
        return plan

    def __repr__(self):
        return (f"<NNENetwork {self.n_inputs}-{self.n_hidden}-{self.n_outputs}, {self.n_links} links, "
                f"{self.n_genes} genes, W with {self.weight_generation.nnz} entries>")

    @property
    def input_mask(self):
        """The ``(n_inputs, h)`` 0/1 input graph (for training the same network by gradient descent)."""
        mask = np.zeros((self.n_inputs, self.n_hidden), np.float32)
        mask[self.input_edges] = 1.0
        return mask

    def link_weights(self, genotypes):
        """``w = W x`` for each genotype (Sec. 2).

        Parameters
        ----------
        genotypes : array_like
            ``(N, n)`` of 0/1 (or allele frequencies in [0, 1] for the
            mean network ``W p``).

        Returns
        -------
        numpy.ndarray
            ``float32 (N, m)``.

        Raises
        ------
        GenomeError
            Wrong length, or values outside [0, 1].
        """
        genotypes = np.asarray(genotypes)
        if genotypes.ndim == 1:
            genotypes = genotypes[None]
        if genotypes.ndim != 2 or genotypes.shape[1] != self.n_genes:
            raise GenomeError(f"genotypes must have shape (N, {self.n_genes}), got {genotypes.shape}")
        genotypes = genotypes.astype(np.float32, copy=False)
        if not np.all((genotypes >= 0) & (genotypes <= 1)):
            raise GenomeError("genotypes must hold bits (or allele frequencies) in [0, 1]")
        return np.ascontiguousarray((self.weight_generation @ genotypes.T).T)

    def layer_weights(self, link_weights):
        """Scatter link weights into ``(N, n_inputs, h)`` and ``(N, h, n_outputs)`` matrices."""
        link_weights = np.atleast_2d(link_weights)
        inputs = np.zeros((link_weights.shape[0], self.n_inputs, self.n_hidden), np.float32)
        inputs[:, self.input_edges[0], self.input_edges[1]] = link_weights[:, : self.n_input_links]
        return inputs, self._output_weights(link_weights)

    def _output_weights(self, link_weights):
        return link_weights[:, self.n_input_links :].reshape(len(link_weights), self.n_hidden, self.n_outputs)

    def hidden_and_logits(self, link_weights, images):
        """Hidden activations ``relu(y W1)`` ``(c, B, h)`` and logits ``h W2`` ``(c, B, k)`` of ``c`` networks.

        The ``c`` input layers are laid side by side as one dense
        ``(n_inputs, c·h)`` matrix: ten times the multiply-adds of the sparse
        layer, so :meth:`logits` does not use it; it serves one genotype's
        hidden activations (:meth:`hidden`) and the tests, as a reference.
        """
        link_weights = np.atleast_2d(link_weights)
        count = link_weights.shape[0]
        side_by_side = np.zeros((self.n_inputs, count, self.n_hidden), np.float32)
        side_by_side[self.input_edges[0], :, self.input_edges[1]] = link_weights[:, : self.n_input_links].T
        images = np.asarray(images, np.float32)
        hidden = images @ side_by_side.reshape(self.n_inputs, count * self.n_hidden)
        np.maximum(hidden, 0.0, out=hidden)
        hidden = hidden.reshape(len(images), count, self.n_hidden).transpose(1, 0, 2)
        return hidden, np.matmul(hidden, self._output_weights(link_weights))

    def logits(self, genotypes, images):
        """Output logits of every genotype's network on every image (batched; module docstring).

        Parameters
        ----------
        genotypes : array_like
            ``(N, n)``.
        images : array_like
            ``(B, n_inputs)``.

        Returns
        -------
        numpy.ndarray
            ``float32 (N, B, n_outputs)``.
        """
        genotypes = np.asarray(genotypes)
        if genotypes.ndim == 1:
            genotypes = genotypes[None]
        images = np.asarray(images, np.float32)
        pixels_first = np.vstack([images.T, np.zeros((1, len(images)), np.float32)])  # (n_inputs + 1, B)
        out = np.zeros((len(genotypes), self.n_outputs, len(images)), np.float32)
        blocks = [slice(start, start + self.block) for start in range(0, len(genotypes), self.block)]
        weights = [None] * len(blocks)

        def link_block(number):
            block_weights = self.link_weights(genotypes[blocks[number]])
            first = np.zeros((len(block_weights), self.n_input_links + 1), np.float32)  # last column: padding
            first[:, :-1] = block_weights[:, : self.n_input_links]
            weights[number] = first, self._output_weights(block_weights)

        def chunk_block(number, members, links, gathered):
            first, second = weights[number]
            padded = first[:, links]  # (Nb, K, D)
            hidden = np.empty((len(first), len(members), len(images)), np.float32)
            np.matmul(padded.transpose(1, 0, 2), gathered, out=hidden.transpose(1, 0, 2))
            np.maximum(hidden, 0.0, out=hidden)
            out[blocks[number]] += np.matmul(second[:, members, :].transpose(0, 2, 1), hidden)  # (Nb, k, K)(Nb, K, B)

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(link_block, range(len(blocks))))
            for members, links, pixels in self._chunks:
                gathered = pixels_first[pixels]  # (K, D, B), once per chunk for every genotype
                chunk = functools.partial(chunk_block, members=members, links=links, gathered=gathered)
                list(pool.map(chunk, range(len(blocks))))
        return out.transpose(0, 2, 1)

    def losses(self, genotypes, images, labels):
        """Cross-entropy ``(N, B)`` of every genotype on every image (Sec. 3.1)."""
        return cross_entropy(self.logits(genotypes, images).astype(np.float64), np.asarray(labels))

    def fitness(self, genotypes, images, labels, alpha=None):
        """:func:`relative_performance` ``δ_x`` of every genotype, shape ``(N,)``.

        ``alpha`` defaults to :func:`random_guess_loss` of this network's
        outputs (``log 5`` for a five-output network).
        """
        alpha = random_guess_loss(self.n_outputs) if alpha is None else float(alpha)
        return relative_performance(self.losses(genotypes, images, labels), alpha)

    def accuracy(self, genotypes, images, labels):
        """Fraction of ``images`` each genotype's network classifies correctly, shape ``(N,)``."""
        return (self.logits(genotypes, images).argmax(axis=-1) == np.asarray(labels)).mean(axis=-1)

    def hidden(self, genotype, images):
        """Hidden activations ``(B, h)`` of one genotype's network (for output-layer training)."""
        weights = self.link_weights(genotype)
        return self.hidden_and_logits(weights, images)[0][0]

    def output_weights(self, genotype):
        """The ``(h, n_outputs)`` hidden–output weights of one genotype's network."""
        return self._output_weights(self.link_weights(genotype))[0].copy()
