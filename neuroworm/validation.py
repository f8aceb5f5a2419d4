"""One rule for the integer settings a user gives (population sizes, steps, seeds, counts).

An integer setting is a Python or NumPy integer, never a bool (``True`` is
not a population size) and never a float (``3.0`` or ``0.5`` is refused,
not truncated, so ``0.5`` never becomes ``0``). Every public entry point
checks its integers with these helpers, so the rule and the message are the
same everywhere.
"""

import numpy as np

from .errors import ConfigError

__all__ = ["check_count", "check_integer", "check_nonnegative_int", "check_positive_int", "check_real",
           "check_real_array"]


def check_integer(name, value, minimum=None, error=ConfigError):
    """Return ``value`` as an ``int`` if it is an integer ≥ ``minimum``.

    Parameters
    ----------
    name : str
        The setting's name, used in the error message.
    value : object
        What the user gave.
    minimum : int, optional
        The smallest value allowed.
    error : type
        The :class:`~neuroworm.errors.NeuroWormError` subclass to raise
        (default :class:`ConfigError`; e.g. ``GenomeError`` for a genome's sizes).

    Returns
    -------
    int

    Raises
    ------
    ConfigError (or ``error``)
        For a bool, a float, a string or any other non-integer, or an
        integer below ``minimum``; the message names the setting.

    Examples
    --------
    >>> check_integer("episode_steps", 2.0, minimum=1)
    Traceback (most recent call last):
    ...
    neuroworm.errors.ConfigError: episode_steps must be an integer >= 1, got 2.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        bound = "" if minimum is None else f" >= {minimum}"
        raise error(f"{name} must be an integer{bound}, got {value!r}")
    if minimum is not None and value < minimum:
        raise error(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive_int(name, value, error=ConfigError):
    """``value`` as an ``int`` ≥ 1, or an error naming ``name`` (see :func:`check_integer`)."""
    return check_integer(name, value, minimum=1, error=error)


def check_nonnegative_int(name, value, error=ConfigError):
    """``value`` as an ``int`` ≥ 0 (seeds, counts that may be zero), or an error naming ``name``."""
    return check_integer(name, value, minimum=0, error=error)


def check_count(name, value, minimum=0, error=ConfigError):
    """``value`` as an ``int`` ≥ ``minimum`` (default 0), or an error naming ``name``."""
    return check_integer(name, value, minimum=minimum, error=error)


def check_real(name, value, *, minimum=None, maximum=None, above=None, error=ConfigError):
    """Return ``value`` as a finite ``float`` in range, or an error naming ``name``.

    Parameters
    ----------
    name : str
        The setting's name, used in the error message.
    value : object
        What the user gave: a Python or NumPy integer or float (never a bool,
        a complex number or a string).
    minimum, maximum : float, optional
        Inclusive bounds.
    above : float, optional
        Exclusive lower bound (``above=0`` for a standard deviation or a rate).
    error : type
        The :class:`~neuroworm.errors.NeuroWormError` subclass to raise.

    Returns
    -------
    float

    Raises
    ------
    ConfigError (or ``error``)
        For a non-number, NaN, ±inf or a value outside the bounds.

    Examples
    --------
    >>> check_real("sigma", float("inf"), above=0)
    Traceback (most recent call last):
    ...
    neuroworm.errors.ConfigError: sigma must be a finite number > 0, got inf
    """
    bounds = [f"> {above}" if above is not None else "", f">= {minimum}" if minimum is not None else "",
              f"<= {maximum}" if maximum is not None else ""]
    wanted = f"{name} must be a finite number" + "".join(f" {bound}" for bound in bounds if bound)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise error(f"{wanted}, got {value!r}")
    number = float(value)
    if not np.isfinite(number) or (above is not None and not number > above) or (
            minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise error(f"{wanted}, got {value!r}")
    return number


def check_real_array(name, values, error=ConfigError):
    """``values`` as a float64 array, refusing complex numbers, strings, objects and bools.

    ``numpy.asarray(z, dtype=float)`` drops a complex number's imaginary
    part with only a warning; genomes, actions and centres go through this
    instead. Finiteness is left to the caller, whose message can say where.

    Raises
    ------
    ConfigError (or ``error``)
        Naming ``name`` and the dtype found.
    """
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        raise error(f"{name} must hold real numbers, got {array.dtype} values")
    return array.astype(np.float64, copy=False)
