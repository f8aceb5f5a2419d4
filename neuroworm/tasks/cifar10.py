"""CIFAR-10 from the user's "python version" batch files, read without running pickled code.

CIFAR-10 (Krizhevsky 2009) ships as ``cifar-10-python.tar.gz``; unpacked it is
a folder ``cifar-10-batches-py`` with ``data_batch_1`` … ``data_batch_5``
(10,000 training images each), ``test_batch`` (the 10,000 test images) and
``batches.meta`` (the ten class names). Each batch is a pickled dict with
``data`` (a ``uint8`` array of shape (10000, 3072): 1024 red, then 1024
green, then 1024 blue values of a 32 × 32 image, row by row) and ``labels``
(a list of 10,000 ints in 0-9).

Unpickling can run arbitrary code, so :func:`read_batch` uses a restricted
:class:`pickle.Unpickler` whose ``find_class`` allows exactly what such a
dict needs: NumPy's array reconstruction (``numpy.core.multiarray._reconstruct``
or ``numpy._core.multiarray._reconstruct``, ``numpy.ndarray``,
``numpy.dtype``) and ``_codecs.encode`` (how Python 3 writes ``bytes`` under
pickle protocol 2; it only encodes a string). Anything else is refused with
a :class:`~neuroworm.errors.DatasetFileError` naming the file and the class.

No copy of CIFAR-10 is bundled: pass the folder.

References
----------
Krizhevsky, A. (2009). Learning multiple layers of features from tiny
images. Technical report, University of Toronto.
https://www.cs.toronto.edu/~kriz/cifar.html
"""

import pickle
from dataclasses import dataclass

import numpy as np

from ..errors import DatasetFileError
from ..limits import as_path, check_input_file, expanded_size, is_gzip, open_input, require_memory

__all__ = ["CIFAR10_CLASSES", "CIFAR10Data", "load_cifar10", "read_batch"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
"""The class names, in label order (``batches.meta``'s ``label_names``)."""

_PIXELS = 3 * 32 * 32


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals an array-holding dict needs; refuses everything else."""

    def __init__(self, file, path):
        super().__init__(file, encoding="bytes")
        self.path = path

    def find_class(self, module, name):
        import codecs

        allowed = {
            ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
            ("numpy", "ndarray"): lambda: np.ndarray,
            ("numpy", "dtype"): lambda: np.dtype,
            ("_codecs", "encode"): lambda: codecs.encode,
        }
        if (module, name) not in allowed:
            raise DatasetFileError(
                self.path, f"refusing to unpickle {module}.{name}: a CIFAR-10 batch holds only a dict of arrays, "
                "lists and bytes")
        return allowed[(module, name)]()


def _key(batch, name):
    for key in (name, name.encode()):
        if key in batch:
            return batch[key]
    return None


def read_batch(path, max_bytes=None):
    """One CIFAR-10 batch file: its images and labels.

    Parameters
    ----------
    path : str or path-like
        The batch, as unpacked, or gzipped (decompressed up to ``max_bytes``).
    max_bytes : int, optional
        Largest size a gzipped batch may expand to (see :mod:`neuroworm.limits`).

    Returns
    -------
    images : numpy.ndarray of uint8, shape (n, 3072)
        Channel-major rows (1024 red, 1024 green, 1024 blue).
    labels : numpy.ndarray of int64, shape (n,)

    Raises
    ------
    DatasetFileError
        If the file is missing or not a regular file, expands past the
        limit or the memory, is not a pickle, asks for any other class
        than the allowed ones, or does not hold ``data`` (n × 3072 uint8) and
        ``labels`` (n ints in 0-9).
    """
    path = as_path(path, "read_batch's path")

    def error(message):
        return DatasetFileError(path, message)

    if not path.exists():
        raise DatasetFileError(path, "no such file (expected a CIFAR-10 python batch: data_batch_1..5, test_batch)")
    check_input_file(path, error)
    gzipped = is_gzip(path, error)
    size = expanded_size(path, error, max_bytes=max_bytes, gzipped=gzipped)
    require_memory(2 * size, f"unpickling {size / 2**20:,.1f} MiB", error=error,
                   advice="the file may be damaged, or read it on a machine with more memory")
    try:
        with open_input(path, error, max_bytes=max_bytes, gzipped=gzipped) as file:
            batch = _RestrictedUnpickler(file, path).load()
    except DatasetFileError:
        raise
    except Exception as error:  # truncated or not a pickle at all
        raise DatasetFileError(path, f"not a readable CIFAR-10 python batch ({type(error).__name__}: {error})") from error
    if not isinstance(batch, dict):
        raise DatasetFileError(path, f"expected a pickled dict, found {type(batch).__name__}")
    data, labels = _key(batch, "data"), _key(batch, "labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS:
        raise DatasetFileError(path, f"key 'data' must be a uint8 array of shape (n, {_PIXELS}), "
                                     f"found {getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError) as failure:
        raise DatasetFileError(path, "key 'labels' must be a list of ints") from failure
    if labels.size and labels.dtype.kind not in "iu":  # 1.5 or True is not a class: refused, not truncated
        raise DatasetFileError(path, f"key 'labels' must be a list of ints, found {labels.dtype} values")
    labels = labels.astype(np.int64)
    if labels.shape != (len(data),):
        raise DatasetFileError(path, f"key 'labels' has {labels.size} entries for {len(data)} images")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DatasetFileError(path, f"key 'labels' must lie in 0-9, found {labels.min()}..{labels.max()}")
    return data, labels


@dataclass(eq=False)
class CIFAR10Data:
    """CIFAR-10 as float arrays.

    Attributes
    ----------
    train_images, test_images : numpy.ndarray of float32, shape (n, 3072)
        Intensities in [0, 1], channel-major as in the files.
    train_labels, test_labels : numpy.ndarray of int64
    files : list of str
        The batch files read, training batches first.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    files: list


def load_cifar10(folder):
    """Read CIFAR-10 from a folder of python batch files.

    Every ``data_batch_*`` file found is a training batch (the full set has
    five, 50,000 images); ``test_batch`` is the test set (10,000 images),
    which no training step should see.

    Parameters
    ----------
    folder : str or path-like
        ``cifar-10-batches-py`` (or a folder that contains it).

    Returns
    -------
    CIFAR10Data

    Raises
    ------
    DatasetFileError
        If the folder has no ``data_batch_*`` or no ``test_batch``, or a
        batch is malformed (see :func:`read_batch`).

    Examples
    --------
    >>> data = load_cifar10("~/data/cifar-10-batches-py")  # doctest: +SKIP
    >>> data.train_images.shape, data.test_images.shape      # doctest: +SKIP
    ((50000, 3072), (10000, 3072))
    """
    folder = as_path(folder, "the CIFAR-10 folder").expanduser()
    if (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"
    if not folder.is_dir():
        raise DatasetFileError(folder, "no such folder (expected cifar-10-batches-py with data_batch_1..5 and test_batch)")
    train_files = sorted(folder.glob("data_batch_*"))
    if not train_files:
        raise DatasetFileError(folder, "no data_batch_* file (expected data_batch_1..5 of CIFAR-10's python version)")
    train = [read_batch(path) for path in train_files]
    test_images, test_labels = read_batch(folder / "test_batch")
    return CIFAR10Data(
        train_images=np.concatenate([images for images, _ in train]).astype(np.float32) / 255.0,
        train_labels=np.concatenate([labels for _, labels in train]),
        test_images=test_images.astype(np.float32) / 255.0,
        test_labels=test_labels,
        files=[str(path) for path in train_files] + [str(folder / "test_batch")],
    )
