"""Checkpoint files: the complete state of an evolution run, in a format that cannot run code.

A checkpoint holds everything needed to continue a run so that the result
is bit-for-bit that of an uninterrupted run: the strategy's state (with its
random generator), the last population and its fitness, the logbook, the
hall of fame, the generator of evaluation seeds, the number of completed
generations, and -- if the run was interrupted during an evaluation -- the
population that was being evaluated.  It also holds the *fingerprint* of the
run's configuration, which a resumed run must match.

File format
-----------
A NumPy ``.npz`` archive (a zip file of ``.npy`` arrays) read with
``numpy.load(..., allow_pickle=False)``:

* every numeric array of the run state is one member, under its name;
* ``__fields__`` is a ``uint8`` array holding UTF-8 JSON: the format
  version and every non-array value (settings, strategy scalars, logbook
  rows, generator states as ``bit_generator.state``).

Neither NumPy nor JSON can execute code while reading, and every value is
validated on load (type, shape, range) by the ``Checkpoint`` accessors, so
a damaged or hostile file ends in a :class:`~neuroworm.errors.CheckpointError`
naming the file and the field, never in code running.  The zip's CRC-32
checksums catch accidental damage; nothing here protects against someone
who can write the file on purpose (and nothing needs to: the worst such a
file can do is be refused or resume a different run).

Checkpoints of neuroworm 0.1 (``checkpoint.pkl``, a pickle) are recognised
by their first bytes and refused without being unpickled.

Writes go to a temporary file in the checkpoint's folder, which is flushed,
``fsync``-ed and renamed over the checkpoint with :func:`os.replace`, so a
crash (even ``SIGKILL``) or a full disk leaves either the old or the new
checkpoint, never a partial one.
"""

import hashlib
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CheckpointError
from ..limits import as_path, check_input_file, check_npz_members, load_json

__all__ = [
    "FORMAT",
    "LEGACY_PICKLE_MAGIC",
    "Checkpoint",
    "compare_fingerprints",
    "fingerprint_digest",
    "generator_state",
    "read_checkpoint",
    "write_checkpoint",
]

#: Format identifier stored in every checkpoint's fields.
FORMAT = "neuroworm-checkpoint/2"
#: First bytes of the pickle checkpoints of neuroworm 0.1, which are refused unread.
LEGACY_PICKLE_MAGIC = b"NEUROWORM-CKPT01"
#: Largest total uncompressed size of a checkpoint's arrays read by default (bytes).
MAX_CHECKPOINT_BYTES = 64 * 2**30

_FIELDS = "__fields__"
_ZIP_MAGIC = b"PK\x03\x04"
_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: nothing that can hold an object
_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _plain(value):
    """Numpy scalars and arrays inside a JSON value, as Python numbers and lists."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_checkpoint(path, fields, arrays=None):
    """Write a run state to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file (conventionally ``*.npz``); its folder is created
        if needed.
    fields : dict
        JSON-able values: str, int, float (NaN and infinities allowed), bool,
        None, and lists and str-keyed dicts of those.  NumPy scalars are
        converted.
    arrays : dict of str to numpy.ndarray, optional
        Numeric or boolean arrays (no object, string or structured dtypes).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CheckpointError
        If a field is not JSON-able, an array is not numeric, or the file
        cannot be written (full disk, read-only folder); a checkpoint already
        at ``path`` is then left as it was.
    """
    path = Path(path)
    arrays = dict(arrays or {})
    members = {}
    for name, array in arrays.items():
        array = np.asarray(array)
        if not isinstance(name, str) or not name or name == _FIELDS:
            raise CheckpointError(f"checkpoint {path}: array name {name!r} is not allowed")
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} has dtype {array.dtype}; only numeric and boolean arrays are stored"
            )
        members[name] = array
    try:
        text = json.dumps({"format": FORMAT, **_plain(fields)})  # key order kept: logbook columns keep theirs
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"checkpoint {path}: run state is not JSON-able ({error})") from error
    members[_FIELDS] = np.frombuffer(text.encode(), dtype=np.uint8)

    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as stream:
            np.savez(stream, **members)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise CheckpointError(
            f"checkpoint {path}: cannot be written ({error.strerror or error}); "
            "the previous checkpoint, if any, is unchanged"
        ) from error
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder):
    """Make the rename durable (POSIX); silently skipped where unsupported."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_checkpoint(path, *, max_bytes=MAX_CHECKPOINT_BYTES):
    """Read a checkpoint without running any code from it.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int
        Largest total size of the arrays once read (a guard against
        archives that expand to more memory than the machine has).

    Returns
    -------
    Checkpoint
        Its fields and arrays, with validating accessors.

    Raises
    ------
    CheckpointError
        If the file is missing, is an old pickle checkpoint, is not a
        neuroworm checkpoint, is truncated or corrupt, holds arrays of
        Python objects, or is too large.
    """
    path = as_path(path, "a checkpoint's path", CheckpointError)

    def error(message):
        return CheckpointError(f"checkpoint {path}: {message}")

    check_input_file(path, error)
    try:
        with open(path, "rb") as stream:
            head = stream.read(len(LEGACY_PICKLE_MAGIC))
    except OSError as error:
        raise CheckpointError(f"checkpoint {path}: cannot be read ({error.strerror or error})") from error
    if head.startswith(LEGACY_PICKLE_MAGIC):
        raise CheckpointError(
            f"checkpoint {path}: a pickle checkpoint of neuroworm 0.1; it is not loaded, because unpickling can run "
            "arbitrary code. Start the run afresh (remove the file), or load it yourself only if you wrote it"
        )
    if not head.startswith(_ZIP_MAGIC):
        raise CheckpointError(
            f"checkpoint {path}: not a neuroworm checkpoint (expected a .npz archive, "
            f"got {len(head)} bytes starting {head[:8]!r})" if head else f"checkpoint {path}: empty file (truncated)"
        )
    try:
        check_npz_members(path, error, max_bytes=max_bytes)  # sized from the headers, before any allocation
        arrays = {}
        with np.load(path, allow_pickle=False) as archive:
            for name in archive.files:
                arrays[name] = archive[name]
    except CheckpointError:
        raise
    except ValueError as error:  # numpy refuses object arrays without allow_pickle
        raise CheckpointError(
            f"checkpoint {path}: holds data that only pickle could read ({error}); it is not loaded"
        ) from error
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError) as error:
        raise CheckpointError(f"checkpoint {path}: truncated or corrupt ({type(error).__name__}: {error})") from error
    if _FIELDS not in arrays:
        raise CheckpointError(f"checkpoint {path}: not a neuroworm checkpoint (no {_FIELDS!r} member)")
    encoded = arrays.pop(_FIELDS)
    try:
        if encoded.dtype != np.uint8 or encoded.ndim != 1:
            raise ValueError(f"{_FIELDS} has dtype {encoded.dtype} and shape {encoded.shape}")
        text = encoded.tobytes().decode("utf-8")
    except (ValueError, UnicodeDecodeError) as failure:
        raise CheckpointError(f"checkpoint {path}: its fields are not valid JSON ({failure})") from failure
    fields = load_json(text, error, what="its fields")
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        found = fields.get("format") if isinstance(fields, dict) else type(fields).__name__
        raise CheckpointError(f"checkpoint {path}: field 'format' must be {FORMAT!r}, got {found!r}")
    for name, array in arrays.items():
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise CheckpointError(f"checkpoint {path}: array {name!r} has dtype {array.dtype}; expected numbers")
    return Checkpoint(path=path, fields=fields, arrays=arrays)


@dataclass(frozen=True)
class Checkpoint:
    """The contents of a checkpoint, with accessors that validate each value.

    Every accessor raises :class:`~neuroworm.errors.CheckpointError` naming
    the file and the field (e.g. ``strategy.generation``) when the value is
    missing or has the wrong type, shape or range.

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    fields : dict
        The JSON part.
    arrays : dict of str to numpy.ndarray
        The arrays, by name.
    prefix : str
        Prefix of this section's names (see :meth:`section`).
    """

    path: Path
    fields: dict
    arrays: dict
    prefix: str = ""

    def invalid(self, name, expected, got):
        """Raise a CheckpointError: field ``name`` must be ``expected``, got ``got``."""
        shown = repr(got)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise CheckpointError(f"checkpoint {self.path}: field {self.prefix + name!r} must be {expected}, got {shown}")

    def __contains__(self, name):
        return name in self.fields or (self.prefix + name) in self.arrays

    def value(self, name):
        """The raw JSON value of ``name`` (missing → error)."""
        if name not in self.fields:
            raise CheckpointError(f"checkpoint {self.path}: field {self.prefix + name!r} is missing")
        return self.fields[name]

    def integer(self, name, *, minimum=None, maximum=None):
        """An int (not a bool) in ``[minimum, maximum]``."""
        value = self.value(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.invalid(name, "an integer", value)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.invalid(name, f"an integer in [{minimum}, {maximum}]", value)
        return value

    def number(self, name, *, finite=False, minimum=None):
        """A float or int, optionally finite and at least ``minimum``."""
        value = self.value(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.invalid(name, "a number", value)
        value = float(value)
        if finite and not math.isfinite(value):
            self.invalid(name, "a finite number", value)
        if minimum is not None and not value >= minimum:
            self.invalid(name, f"a number >= {minimum}", value)
        return value

    def boolean(self, name):
        """A bool."""
        value = self.value(name)
        if not isinstance(value, bool):
            self.invalid(name, "true or false", value)
        return value

    def text(self, name, choices=None):
        """A str, optionally one of ``choices``."""
        value = self.value(name)
        if not isinstance(value, str) or (choices is not None and value not in choices):
            self.invalid(name, "a string" if choices is None else f"one of {list(choices)}", value)
        return value

    def mapping(self, name):
        """A dict with str keys."""
        value = self.value(name)
        if not isinstance(value, dict):
            self.invalid(name, "a JSON object", value)
        return value

    def sequence(self, name):
        """A list."""
        value = self.value(name)
        if not isinstance(value, list):
            self.invalid(name, "a JSON list", value)
        return value

    def array(self, name, *, shape=None, kind="f", finite=False):
        """A numeric array of dtype kind ``kind`` and the given ``shape``.

        Parameters
        ----------
        name : str
        shape : tuple of (int or None), optional
            Expected shape; ``None`` entries match any length.
        kind : str
            Accepted dtype kinds: ``"f"`` float, ``"i"`` signed int, ``"b"``
            bool, ``"u"`` unsigned (several letters accept several kinds).
        finite : bool
            Refuse NaN and infinities.

        Returns
        -------
        numpy.ndarray
        """
        key = self.prefix + name
        if key not in self.arrays:
            raise CheckpointError(f"checkpoint {self.path}: array {key!r} is missing")
        array = self.arrays[key]
        if array.dtype.kind not in kind:
            self.invalid(name, f"an array of dtype kind {kind!r}", f"dtype {array.dtype}")
        if shape is not None and (
            array.ndim != len(shape) or any(want is not None and want != got for want, got in zip(shape, array.shape))
        ):
            expected = "(" + ", ".join("any" if want is None else str(want) for want in shape) + ")"
            self.invalid(name, f"an array of shape {expected}", f"shape {array.shape}")
        if finite and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            self.invalid(name, "finite", "NaN or infinite values")
        return array

    def generator(self, name):
        """A ``numpy.random.Generator`` restored from its ``bit_generator.state``."""
        state = self.mapping(name)
        kind = state.get("bit_generator")
        if kind not in _GENERATORS:
            self.invalid(name, f"a generator state of one of {list(_GENERATORS)}", kind)
        bit_generator = getattr(np.random, kind)()
        try:
            bit_generator.state = state
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            self.invalid(name, f"a valid {kind} state ({error})", state)
        return np.random.Generator(bit_generator)

    def section(self, name):
        """The nested fields ``name`` and the arrays named ``name.*``, as a Checkpoint."""
        return Checkpoint(path=self.path, fields=self.mapping(name), arrays=self.arrays, prefix=f"{self.prefix}{name}.")


def generator_state(generator):
    """The JSON-able ``bit_generator.state`` of a numpy Generator."""
    return _plain(generator.bit_generator.state)


def fingerprint_digest(fingerprint):
    """SHA-256 hex digest of a JSON-able fingerprint dict."""
    text = json.dumps(fingerprint, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def compare_fingerprints(path, stored, current):
    """Raise if a checkpoint's fingerprint differs from the current run's.

    Parameters
    ----------
    path : str or path-like
        The checkpoint, named in the message.
    stored, current : dict
        Fingerprints (nested JSON-able dicts).

    Raises
    ------
    CheckpointError
        Listing every differing entry with both values.
    """
    if not isinstance(stored, dict):
        raise CheckpointError(f"checkpoint {path}: field 'fingerprint' must be a JSON object, got {stored!r}")
    stored_flat = _flatten(json.loads(json.dumps(stored, default=str)))
    current_flat = _flatten(json.loads(json.dumps(_plain(current), default=str)))
    keys = sorted(set(stored_flat) | set(current_flat))
    if stored_flat.get("strategy.strategy") != current_flat.get("strategy.strategy"):
        # different strategy classes: their parameters cannot be compared one by one
        keys = [key for key in keys if key in stored_flat and key in current_flat]
    differences = [
        f"{key}: checkpoint has {stored_flat.get(key, '<absent>')!r}, "
        f"this run has {current_flat.get(key, '<absent>')!r}"
        for key in keys
        if stored_flat.get(key, "<absent>") != current_flat.get(key, "<absent>")
    ]
    if differences:
        raise CheckpointError(
            f"checkpoint {path} belongs to a different run; it cannot be resumed with this configuration:\n  "
            + "\n  ".join(differences)
        )

