"""Dopaminergic Neural Nets (DNN): a frozen random layer and a dopamine-gated readout (Gorantla et al., Sec. 3.2).

The network is ``n_inputs → h → n_outputs``: the input layer is initialised by
Kaiming uniform (He et al. 2015) and never changes, the output layer (softmax)
learns only from a reward signal on links that *fired* -- a hidden unit with
positive activation and an output unit that counts as active (see
``output_firing``).  Because the input layer is frozen, the hidden activations
of every image are computed once (:func:`random_features`), which makes the
paper's ``h = 100,000`` affordable on two cores: an epoch is then two products
of the cached ``(images, h)`` activations with the ``(h, 10)`` readout.

The paper's text and its formula disagree, so the rule has four readings
(``reading=``), each with :math:`z = \\mathrm{softmax}(o)`, :math:`L` the
cross-entropy and :math:`e_j = |z_j - \\ell(y)_j|^2`:

``"formula"`` -- the displayed equation of Sec. 3.2, whose ratio
    :math:`\\max\\{0,a\\}\\max\\{0,b\\}/(ab)` is the indicator of ``a > 0`` and
    ``b > 0``:
    :math:`\\Delta w_{ij} = \\epsilon_1\\,[e_j < \\tfrac14]\\,[L > \\epsilon_0]`.
``"text"`` -- the sentence before it ("if the DNN got the prediction correct,
    i.e. the loss is at most ε0, then w_ij gets increased ... provided the
    output neuron j has low error"):
    :math:`\\Delta w_{ij} = \\epsilon_1\\,[e_j \\le \\tfrac14]\\,[L \\le \\epsilon_0]`.
``"signed"`` -- the introduction ("modified by a multiple of (1/4 − err²)"),
    which also punishes: :math:`\\Delta w_{ij} = \\epsilon_1\\,(\\tfrac14 - e_j)`.
``"text-signed"`` -- Sec. 3.2's condition with the introduction's "links
    that fired are rewarded if the result was good, and punished if it was
    not": :math:`\\Delta w_{ij} = \\epsilon_1` if
    :math:`e_j \\le \\tfrac14` and :math:`L \\le \\epsilon_0`, else :math:`-\\epsilon_1`.

In every reading the change applies only to links that fired, i.e. times
:math:`[h_i > 0]` and the output's firing indicator (``output_firing``: every
output, or the winner), and is averaged over the examples of a minibatch
(``batch_size=1`` is the per-example reading).  ``scope="minibatch"`` gates
with the minibatch's mean error and loss instead of each example's (the
introduction: "err is the error of the current minibatch").  ``init``
chooses the initial bounds: Kaiming uniform with gain √2 / 1, or PyTorch's
``nn.Linear`` default ``1/√fan_in``.  ε0 = 0.75 and ε1 = 1 are the paper's.

Which readings fire and learn (200 training digits per class less 40 held
out, h = 1,000, 30 epochs, validation accuracy of one seed; the medium
``table2`` chooses among all of them on validation digits per seed):
``"text"`` never fires from a random readout -- its softmax starts near
uniform, every training digit's loss is 1.7-2.6 > ε0 = 0.75 -- and when ε0
is raised so that it fires, it can only raise outputs (every output, which
the softmax ignores, or wrong winners below 1/2): 8-9 %.  ``"formula"``
raises the nine wrong outputs (below chance) or reinforces wrong winners
(10.8 %).  A minibatch scope leaves every reading at or near chance (the
batch's mean error is below 1/4 for every output, so it rewards whatever
fired).  The readings consistent with the text that learn are
``"signed"``/winner (71 % at ε1 = 1 with batches of 50, 79-80 % per example
or with ε1 = 3) and ``"text-signed"``/winner (57-59 %).  PyTorch's smaller
initial bounds cost ``"signed"`` 21 points at batch 50, ε1 = 1 (50 %) and
nothing per example.

References
----------
Gorantla, Louis, Papadimitriou, Vempala & Yadati, Sec. 3.2 and Table 2.
K. He, X. Zhang, S. Ren and J. Sun (2015). Delving deep into rectifiers. ICCV.
S. Yagishita et al. (2014). A critical time window for dopamine actions on the
structural plasticity of dendritic spines. *Science* 345:1616.
"""

import numpy as np

from ..errors import ConfigError
from ..seeding import make_rng
from ..validation import check_positive_int

__all__ = [
    "INITS",
    "OUTPUT_FIRING",
    "READINGS",
    "SCOPES",
    "DopaminergicNetwork",
    "dopaminergic_update",
    "random_features",
    "softmax",
]

#: The three readings of the dopaminergic rule (see the module docstring).
READINGS = ("formula", "text", "signed", "text-signed")
#: Which output units count as having fired: every unit, or only the winner (arg-max).
OUTPUT_FIRING = ("all", "winner")
#: Whose error gates the change: each example's, or the minibatch's mean (the introduction's "err").
SCOPES = ("example", "minibatch")
#: Initial weight bounds: ``"kaiming"`` U(±gain·√(3/fan_in)) with gain √2 (input) and 1 (readout);
#: ``"pytorch"`` the bounds of ``torch.nn.Linear``'s default, U(±1/√fan_in), for both layers.
INITS = ("kaiming", "pytorch")


def softmax(logits):
    """Row-wise softmax, computed stably."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def random_features(images, input_weights, *, block=2048, dtype=np.float32):
    """Hidden activations ``relu(y W_in)`` of a frozen input layer, ``block`` images at a time.

    Parameters
    ----------
    images : numpy.ndarray
        ``(B, n_inputs)``.
    input_weights : numpy.ndarray
        ``(n_inputs, h)``.
    block : int
        Images per product (bounds the temporary memory).

    Returns
    -------
    numpy.ndarray
        ``(B, h)`` of ``dtype``.
    """
    images = np.asarray(images, dtype)
    out = np.empty((len(images), input_weights.shape[1]), dtype)
    for start in range(0, len(images), block):
        np.matmul(images[start : start + block], input_weights, out=out[start : start + block])
        np.maximum(out[start : start + block], 0, out=out[start : start + block])
    return out


def dopaminergic_update(hidden, probabilities, labels, *, reading="text", epsilon0=0.75, epsilon1=1.0,
                        output_firing="all", scope="example"):
    """The weight change of the readout for one minibatch (Sec. 3.2).

    Parameters
    ----------
    hidden : numpy.ndarray
        ``(B, h)`` hidden activations; unit ``i`` fired if ``hidden > 0``.
    probabilities : numpy.ndarray
        ``(B, k)`` softmax outputs ``z``.
    labels : numpy.ndarray
        ``(B,)`` class indices.
    reading : {"formula", "text", "signed", "text-signed"}
    epsilon0, epsilon1 : float
        Loss threshold ε0 and step ε1 (paper: 0.75 and 1).
    output_firing : {"all", "winner"}
        ``"all"``: every output unit is an end that fired; ``"winner"``: only
        the arg-max output (the network's prediction).
    scope : {"example", "minibatch"}
        Whose error and loss gate the change: each example's own
        (``"example"``), or the minibatch's mean error :math:`\\bar e_j`
        and mean loss :math:`\\bar L`, the same for every example of the
        minibatch (the introduction: "err is the error of the current
        minibatch"); the links that fired are each example's either way.

    Returns
    -------
    numpy.ndarray
        ``(h, k)``: :math:`\\frac{\\epsilon_1}{B}\\sum_b [h_b > 0]^\\top (m_b \\odot g_b)`
        with ``m`` the reading's multiplier and ``g`` the output firing indicator.
    """
    if reading not in READINGS:
        raise ConfigError(f"reading must be one of {', '.join(READINGS)}, got {reading!r}")
    if output_firing not in OUTPUT_FIRING:
        raise ConfigError(f"output_firing must be one of {', '.join(OUTPUT_FIRING)}, got {output_firing!r}")
    if scope not in SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    rows = np.arange(len(labels))
    target = np.zeros_like(probabilities)
    target[rows, labels] = 1.0
    error = (probabilities - target) ** 2
    loss = -np.log(np.maximum(probabilities[rows, labels], np.finfo(probabilities.dtype).tiny))
    if scope == "minibatch":
        error = np.broadcast_to(error.mean(axis=0), error.shape)
        loss = np.broadcast_to(loss.mean(), loss.shape)
    if reading == "formula":
        multiplier = (error < 0.25) & (loss > epsilon0)[:, None]
    elif reading == "text":
        multiplier = (error <= 0.25) & (loss <= epsilon0)[:, None]
    elif reading == "text-signed":
        multiplier = np.where((error <= 0.25) & (loss <= epsilon0)[:, None], 1.0, -1.0)
    else:
        multiplier = 0.25 - error
    multiplier = multiplier.astype(hidden.dtype)
    if output_firing == "winner":
        winner = np.zeros_like(multiplier)
        winner[rows, probabilities.argmax(axis=1)] = 1.0
        multiplier *= winner
    fired = (hidden > 0).astype(hidden.dtype)
    return (epsilon1 / len(labels)) * (fired.T @ multiplier)


class DopaminergicNetwork:
    """784 → h (frozen, Kaiming uniform, ReLU) → 10 (softmax) learning by the dopaminergic rule.

    Parameters
    ----------
    n_hidden : int
        ``h`` (1,000 and 100,000 in Table 2).
    n_inputs, n_outputs : int
    reading : {"formula", "text", "signed"}
        Which reading of the rule (module docstring).
    output_firing : {"all", "winner"}
    epsilon0, epsilon1 : float
        Paper: 0.75 and 1.
    batch_size : int
        Examples per update (the paper does not say; 50 as for SignSGD in
        Sec. 3.1; 1 is the per-example reading).
    scope : {"example", "minibatch"}
        See :func:`dopaminergic_update`.
    init : {"kaiming", "pytorch"}
        Initial weight bounds (:data:`INITS`): Kaiming uniform with gain √2
        for the ReLU input layer and 1 for the readout, or PyTorch's
        ``nn.Linear`` default bound ``1/√fan_in`` for both (what "the
        popularly used Kaiming Uniform" gives in PyTorch).
    seed : None, int or numpy.random.Generator
        Draws both layers' initial weights.

    Attributes
    ----------
    input_weights : numpy.ndarray
        ``(n_inputs, h)``, frozen.
    output_weights : numpy.ndarray
        ``(h, n_outputs)``, learned.
    """

    def __init__(self, n_hidden=1000, *, n_inputs=784, n_outputs=10, reading="text", output_firing="all",
                 epsilon0=0.75, epsilon1=1.0, batch_size=50, scope="example", init="kaiming", seed=None):
        n_hidden, batch_size = check_positive_int("n_hidden", n_hidden), check_positive_int("batch_size", batch_size)
        dopaminergic_update(np.zeros((1, 1)), np.ones((1, 1)), np.zeros(1, int), reading=reading,
                            output_firing=output_firing, scope=scope)  # validates the names
        if init not in INITS:
            raise ConfigError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        from ..nn import kaiming_uniform

        rng = make_rng(seed)
        self.reading, self.output_firing, self.scope, self.init = reading, output_firing, scope, init
        self.epsilon0, self.epsilon1, self.batch_size = float(epsilon0), float(epsilon1), int(batch_size)
        # PyTorch's default bound 1/sqrt(fan_in) is Kaiming uniform with gain 1/sqrt(3)
        gains = (2.0**0.5, 1.0) if init == "kaiming" else (3.0**-0.5, 3.0**-0.5)
        self.input_weights = kaiming_uniform(n_inputs, (n_inputs, int(n_hidden)), gain=gains[0], dtype=np.float32,
                                             seed=rng)
        self.output_weights = kaiming_uniform(int(n_hidden), (int(n_hidden), n_outputs), gain=gains[1],
                                              dtype=np.float32, seed=rng)

    @property
    def n_hidden(self):
        return self.input_weights.shape[1]

    def features(self, images):
        """Hidden activations of ``images`` (compute once, reuse every epoch)."""
        return random_features(images, self.input_weights)

    def probabilities(self, features):
        """Softmax outputs ``(B, k)`` from hidden activations."""
        return softmax(features @ self.output_weights)

    def accuracy(self, features, labels):
        """Fraction of rows classified correctly."""
        return float(np.mean((features @ self.output_weights).argmax(axis=1) == labels))

    def train_epoch(self, features, labels, *, seed=None):
        """One pass over ``features`` in a seeded random order, one rule update per minibatch."""
        order = make_rng(seed).permutation(len(labels))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = features[rows]
            change = dopaminergic_update(
                batch, self.probabilities(batch), labels[rows], reading=self.reading, epsilon0=self.epsilon0,
                epsilon1=self.epsilon1, output_firing=self.output_firing, scope=self.scope,
            )
            self.output_weights += change.astype(self.output_weights.dtype)

    def fit(self, features, labels, *, epochs, seed=None, validation=None, record_every=1):
        """Train for ``epochs`` epochs; return ``[(epoch, train accuracy, validation accuracy)]``.

        ``validation`` is ``(features, labels)`` of digits no update sees
        (NaN accuracy when absent); rows are recorded every ``record_every``
        epochs and after the last.
        """
        rng = make_rng(seed)
        history = []
        for epoch in range(1, int(epochs) + 1):
            self.train_epoch(features, labels, seed=rng)
            if epoch % record_every == 0 or epoch == epochs:
                held_out = self.accuracy(*validation) if validation is not None else float("nan")
                history.append((epoch, self.accuracy(features, labels), held_out))
        return history
