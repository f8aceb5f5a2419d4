"""Errors raised by neuroworm.

Every error a user can provoke with bad input is a :class:`NeuroWormError`,
and its message names the file, row, column or parameter at fault and says
what was expected.  Subclasses group the errors by the stage of the pipeline
that found them, so callers can catch exactly what they can handle.
"""

__all__ = [
    "CheckpointError",
    "ConfigError",
    "ConnectomeError",
    "ConnectomeFileError",
    "DatasetFileError",
    "GenomeError",
    "NeuroWormError",
    "TaskError",
    "UnknownConnectomeError",
]


class NeuroWormError(Exception):
    """Base class of every error neuroworm raises on purpose."""


class ConnectomeError(NeuroWormError, ValueError):
    """A connectome's contents are inconsistent (unknown neurons, bad weights, ...)."""


class ConnectomeFileError(ConnectomeError):
    """A connectome file cannot be read: missing, empty, malformed or badly compressed.

    Parameters
    ----------
    path : str or path-like
        The file at fault.
    message : str
        What is wrong and what was expected.
    row : int, optional
        1-based line number in the file (the header is line 1).
    column : str, optional
        Name of the column at fault.
    """

    def __init__(self, path, message, *, row=None, column=None):
        self.path = str(path)
        self.row = row
        self.column = column
        where = self.path
        if row is not None:
            where += f", line {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class UnknownConnectomeError(ConnectomeError, KeyError):
    """The name of a bundled connectome is not known."""

    def __str__(self):  # KeyError would otherwise quote the message
        return str(self.args[0])


class GenomeError(NeuroWormError, ValueError):
    """A genome does not fit its layout: wrong length, NaN or infinite values."""


class ConfigError(NeuroWormError, ValueError):
    """A parameter or experiment configuration is invalid (unknown model, dt <= 0, ...)."""


class TaskError(NeuroWormError, ValueError):
    """A task or environment cannot be used as asked (unknown id, mismatched dimensions)."""


class CheckpointError(NeuroWormError):
    """A checkpoint is corrupt, incomplete, or belongs to a different run."""


class DatasetFileError(NeuroWormError, ValueError):
    """A data-set file (MNIST IDX, ...) is missing or malformed.

    Parameters
    ----------
    path : str or path-like
        The file at fault.
    message : str
        What is wrong and what was expected.
    """

    def __init__(self, path, message):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")
