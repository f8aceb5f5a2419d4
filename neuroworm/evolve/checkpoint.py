"""Checkpoint files: the complete state of an evolution run, written atomically.

A checkpoint holds everything needed to continue a run so that the result
is bit-for-bit that of an uninterrupted run: the strategy (with its random
generator), the last population and its fitness, the logbook, the hall of
fame, the generator of evaluation seeds, the number of completed
generations, and -- if the run was interrupted during an evaluation -- the
population that was being evaluated.  It also holds the *fingerprint* of the
run's configuration, which a resumed run must match.

File format
-----------
``MAGIC`` (16 bytes), the payload length (8 bytes, big-endian), the SHA-256
digest of the payload (32 bytes), then the payload: a pickle of a dict.  A
truncated file, a wrong digest, a payload that cannot be unpickled or a
fingerprint that differs from the current run raise
:class:`~neuroworm.errors.CheckpointError` naming the file and the problem.

Writes go to a temporary file in the checkpoint's folder, which is flushed,
``fsync``-ed and renamed over the checkpoint with :func:`os.replace`, so a
crash (even ``SIGKILL``) leaves either the old or the new checkpoint, never
a partial one.

Checkpoints are pickles: load only checkpoints you (or your colleagues)
wrote, as unpickling untrusted data can run arbitrary code.
"""

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from ..errors import CheckpointError

__all__ = ["MAGIC", "compare_fingerprints", "fingerprint_digest", "read_checkpoint", "write_checkpoint"]

#: First bytes of every neuroworm checkpoint (format version 1).
MAGIC = b"NEUROWORM-CKPT01"
_HEADER_SIZE = len(MAGIC) + 8 + 32


def write_checkpoint(path, state):
    """Write ``state`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file; its folder is created if needed.
    state : dict
        Picklable run state (see :func:`neuroworm.evolve.run`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    header = MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(header)
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
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


def read_checkpoint(path):
    """Read and verify a checkpoint.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        The state written by :func:`write_checkpoint`.

    Raises
    ------
    CheckpointError
        If the file is missing, is not a neuroworm checkpoint, is truncated,
        fails its checksum, or cannot be unpickled.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"checkpoint {path}: cannot be read ({error})") from error
    if len(data) < _HEADER_SIZE:
        raise CheckpointError(
            f"checkpoint {path}: truncated, {len(data)} bytes is shorter than the {_HEADER_SIZE}-byte header"
        )
    if not data.startswith(MAGIC):
        raise CheckpointError(f"checkpoint {path}: not a neuroworm checkpoint (expected it to start with {MAGIC!r})")
    expected_size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "big")
    expected_digest = data[len(MAGIC) + 8 : _HEADER_SIZE]
    payload = data[_HEADER_SIZE:]
    if len(payload) != expected_size:
        raise CheckpointError(
            f"checkpoint {path}: truncated or padded, the header announces {expected_size} bytes of state "
            f"but the file holds {len(payload)}"
        )
    if hashlib.sha256(payload).digest() != expected_digest:
        raise CheckpointError(f"checkpoint {path}: corrupt, the SHA-256 checksum of its contents does not match")
    try:
        state = pickle.loads(payload)
    except Exception as error:  # unpickling can fail in many ways
        raise CheckpointError(
            f"checkpoint {path}: cannot be unpickled ({type(error).__name__}: {error}); "
            "was it written by an incompatible version of neuroworm?"
        ) from error
    if not isinstance(state, dict) or "fingerprint" not in state:
        raise CheckpointError(f"checkpoint {path}: holds no run state")
    return state


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
    stored_flat = _flatten(json.loads(json.dumps(stored, default=str)))
    current_flat = _flatten(json.loads(json.dumps(current, default=str)))
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
