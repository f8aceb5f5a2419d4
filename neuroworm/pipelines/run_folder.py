"""One run, one folder: checks made before a run touches its output folder, and its lock.

A run folder (``neuroworm evolve --out OUT``) holds one run's settings,
checkpoint and results.  The functions here make three promises:

* a run that is refused changes nothing on disk -- every check that can
  refuse it (:func:`check_output_folder`, :func:`require_memory`, the
  settings and checkpoint checks of
  :func:`~neuroworm.pipelines.evolve.evolve_controller`)
  runs before the first write;
* two processes never write to one folder: :func:`folder_lock` holds an
  exclusive lock (through the ``filelock`` package) for the whole run, and a
  second run is refused at once with a message;
* errors a user can cause (``--out`` naming a file, a read-only folder, a
  population larger than the memory) are :class:`~neuroworm.errors.ConfigError`
  messages, not tracebacks.
"""

import contextlib
import os
import tempfile
from pathlib import Path

from ..errors import ConfigError

__all__ = ["LOCK_NAME", "available_memory", "check_output_folder", "folder_lock", "require_memory"]

#: Name of the lock file inside a run folder while a run is writing to it.
LOCK_NAME = ".neuroworm.lock"


def check_output_folder(out):
    """Refuse an output folder that cannot hold a run, without creating anything.

    Parameters
    ----------
    out : str or path-like

    Raises
    ------
    ConfigError
        If ``out`` (or one of its parents) is a file, or the folder (or the
        nearest existing parent, when ``out`` does not exist yet) cannot be
        written: read-only file system, missing permission, immutable folder.
    """
    out = Path(out)
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        what = "is a file" if existing == out else f"cannot be created: {existing} is a file"
        raise ConfigError(f"output folder {out} {what}; expected a folder for the run's results")
    try:  # the only sure test (os.access misses read-only mounts and immutable folders): write and remove a file
        descriptor, probe = tempfile.mkstemp(dir=existing, prefix=".neuroworm-write-test-")
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise ConfigError(
            f"output folder {out} cannot be written ({error.strerror or error} in {existing}); "
            "choose another --out"
        ) from error


@contextlib.contextmanager
def folder_lock(out):
    """Hold the exclusive lock of a run folder, or refuse at once.

    Parameters
    ----------
    out : str or path-like
        An existing folder.  The lock is an operating-system lock on the
        file ``out/.neuroworm.lock``: it is released when this process ends,
        however it ends (even ``SIGKILL``); the empty file itself may stay.

    Raises
    ------
    ConfigError
        If another process holds the lock (another run writing there).
    """
    from filelock import FileLock, Timeout

    path = Path(out) / LOCK_NAME
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout as error:
        raise ConfigError(
            f"output folder {out} is in use by another neuroworm run (lock {path} is held); wait for it to finish "
            "or choose another --out"
        ) from error
    except OSError as error:
        raise ConfigError(f"output folder {out}: cannot create the lock file {path} ({error.strerror or error})") from error
    try:
        yield path
    finally:
        lock.release()


def available_memory():
    """Bytes of memory available to a new allocation (``MemAvailable`` on Linux), or None if unknown."""
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def require_memory(needed, what, *, available=None):
    """Refuse work that needs more memory than the machine has available.

    Parameters
    ----------
    needed : int
        Estimated bytes.
    what : str
        What needs it, for the message (e.g. ``"a population of 10000000"``).
    available : int, optional
        Bytes available (default: :func:`available_memory`).

    Raises
    ------
    ConfigError
        Saying how much is needed and how much there is.
    """
    available = available_memory() if available is None else available
    if available is not None and needed > available:
        raise ConfigError(
            f"{what} needs about {needed / 2**30:.3g} GiB of memory, but only {available / 2**30:.3g} GiB "
            "is available; use a smaller population or split it over machines (--dask)"
        )
