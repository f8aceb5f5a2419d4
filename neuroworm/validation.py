"""One rule for the integer settings a user gives (population sizes, steps, seeds, counts).

An integer setting is a Python or NumPy integer, never a bool (``True`` is
not a population size) and never a float (``3.0`` or ``0.5`` is refused,
not truncated). Every public entry point checks its integers with these two
helpers, so the rule and the message are the same everywhere.
"""

import numpy as np

from .errors import ConfigError

__all__ = ["check_integer", "check_nonnegative_int", "check_positive_int"]


def check_integer(name, value, minimum=None):
    """Return ``value`` as an ``int`` if it is an integer ≥ ``minimum``.

    Parameters
    ----------
    name : str
        The setting's name, used in the error message.
    value : object
        What the user gave.
    minimum : int, optional
        The smallest value allowed.

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        For a bool, a float, a string or any other non-integer, or an
        integer below ``minimum``; the message names the setting.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ConfigError(f"{name} must be an integer{bound}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive_int(name, value):
    """``value`` as an ``int`` ≥ 1, or a :class:`ConfigError` naming ``name``."""
    return check_integer(name, value, minimum=1)


def check_nonnegative_int(name, value):
    """``value`` as an ``int`` ≥ 0 (seeds, counts that may be zero), or a :class:`ConfigError`."""
    return check_integer(name, value, minimum=0)
