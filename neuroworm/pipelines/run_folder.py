"""One run, one folder: checks made before a run touches its output folder, and its lock.

A run folder (``neuroworm evolve --out OUT``, ``neuroworm pretrain``,
``neuroworm finetune``) holds one run's settings, checkpoints and results.
:class:`RunFolder` is the one place that opens one, and makes three promises:

* a run that is refused changes nothing on disk -- every check that can
  refuse it (:func:`check_output_folder`, :func:`require_memory`, an
  existing run without ``resume``, a resume with other settings) runs
  before the first write;
* two processes never write to one folder: :func:`folder_lock` holds an
  exclusive lock (through the ``filelock`` package) for the whole run, and a
  second run is refused at once with a message;
* errors a user can cause (``--out`` naming a file, a read-only folder, a
  population larger than the memory) are :class:`~neuroworm.errors.ConfigError`
  messages, not tracebacks.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path

from ..errors import ConfigError
from ..limits import available_memory, load_json, require_memory  # one memory estimate for every allocation

__all__ = ["LOCK_NAME", "SETTINGS_NAME", "RunFolder", "available_memory", "check_output_folder", "folder_lock",
           "require_memory"]

#: Name of the lock file inside a run folder while a run is writing to it.
LOCK_NAME = ".neuroworm.lock"
#: The settings a run was started with, as JSON, inside its folder.
SETTINGS_NAME = "settings.json"


class RunFolder:
    """One run's folder: its lock, its saved settings, and the refusals made before anything is written.

    Parameters
    ----------
    path : str or path-like
    grows : iterable of str
        Settings a resumed run may change (generation and epoch counts, to
        extend a run; worker counts, which do not change results).
    started_by : str
        The file whose presence means a run was started here (default the
        settings file; ``neuroworm evolve`` uses its checkpoint).
    defaults : dict, optional
        What a setting missing from the saved file reads as (a setting added
        after the run was saved: its default, which is what that run did).
        Without it a missing setting reads as None.

    Examples
    --------
    >>> folder = RunFolder(out, grows={"generations"})     # doctest: +SKIP
    >>> with folder.open(settings, resume=False):           # doctest: +SKIP
    ...     result = evolve.run(..., settings=folder.fingerprint(settings))
    """

    def __init__(self, path, *, grows=(), started_by=SETTINGS_NAME, defaults=None):
        self.path = Path(path)
        self.grows = frozenset(grows)
        self.started_by = started_by
        self.defaults = dict(defaults or {})

    @property
    def settings_path(self):
        """``settings.json`` inside the folder."""
        return self.path / SETTINGS_NAME

    def saved_settings(self):
        """The settings saved by the run in this folder.

        Raises
        ------
        ConfigError
            If the file cannot be read as a JSON object.
        """
        try:
            saved = load_json(self.settings_path.read_text(), ConfigError)  # depth bounded; wrapped below
        except (OSError, ValueError) as error:
            raise ConfigError(f"{self.settings_path}: cannot be read as a run's settings ({error})") from error
        if not isinstance(saved, dict):
            raise ConfigError(f"{self.settings_path}: cannot be read as a run's settings (not a JSON object)")
        return saved

    def fingerprint(self, settings):
        """The settings that change results: all but those that may grow (for ``evolve.run(settings=...)``)."""
        return {key: value for key, value in settings.items() if key not in self.grows}

    def differing(self, settings):
        """``{name: (saved, given)}`` for every setting that differs from the saved run's (growing ones aside)."""
        saved = self.saved_settings()
        return {key: (saved.get(key, self.defaults.get(key)), value) for key, value in self.fingerprint(settings).items()
                if saved.get(key, self.defaults.get(key)) != value}

    def can_resume(self, settings):
        """Whether the folder holds a started run whose settings equal ``settings`` (growing ones aside)."""
        return ((self.path / self.started_by).is_file() and self.settings_path.is_file()
                and not self.differing(settings))

    def refuse_unless_runnable(self, settings, resume):
        """Refuse a started run without ``resume``, and a resume with other settings; writes nothing.

        Raises
        ------
        ConfigError
        """
        started = self.path / self.started_by
        if started.exists() and not resume:
            raise ConfigError(
                f"{self.path} already holds a run ({started}); pass resume=True (--resume) to continue it, "
                "or choose another folder"
            )
        if resume and self.settings_path.exists():
            differing = self.differing(settings)
            if differing:
                raise ConfigError(
                    f"{self.settings_path}: cannot resume with different settings (saved, given): {differing}"
                )

    @contextlib.contextmanager
    def open(self, settings, resume, *, extra=None):
        """Check, create, lock and claim the folder for a run; hold the lock until the block ends.

        Parameters
        ----------
        settings : dict
            JSON-able settings; saved as ``settings.json`` (with ``extra``) once the lock is held.
        resume : bool
        extra : dict, optional
            Also saved, never compared (e.g. the path of an input whose digest is a setting).

        Yields
        ------
        RunFolder
            This folder.

        Raises
        ------
        ConfigError
            From :func:`check_output_folder`, :meth:`refuse_unless_runnable`, or
            :func:`folder_lock` (another run holds the folder). Every refusal
            comes before anything is written.
        """
        check_output_folder(self.path)
        self.refuse_unless_runnable(settings, resume)
        self.path.mkdir(parents=True, exist_ok=True)
        with folder_lock(self.path):
            self.refuse_unless_runnable(settings, resume)  # again, now that no other run can write here
            record = {**(extra or {}), **settings}
            self.settings_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            yield self


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
