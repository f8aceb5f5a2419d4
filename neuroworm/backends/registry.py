"""Backends by name, as ``"module:Class"`` entry points imported only when used.

Like gymnasium's environment registry and Brian2's code-generation targets:
a backend registers a name and where its class lives; the module (and what
it imports, e.g. Brian2) is imported the first time the backend is made.

Examples
--------
>>> from neuroworm.backends import register_backend, make_backend
>>> register_backend("toy", "my_package.toy:ToyNetwork")
>>> population = make_backend("toy", layout, n_individuals=8)
"""

import importlib

from ..errors import ConfigError

__all__ = ["backend_names", "get_backend", "make_backend", "register_backend"]

_ENTRY_POINTS = {
    "reference": "neuroworm.backends.reference:ReferenceNetwork",
    "brian2": "neuroworm.brian.network:BrianNetwork",
    "relu": "neuroworm.backends.relu:ReLUNetwork",
    "brian2_standalone": "neuroworm.brian.openloop_standalone:StandalonePopulation",
    "dense": "neuroworm.backends.dense:DenseReLUNetwork",
}
"""Registered backends: name → ``"module:Class"`` (or the class itself)."""


def register_backend(name, entry_point, *, replace=False):
    """Register a backend under ``name``.

    Parameters
    ----------
    name : str
        The name users give (``backend="..."``).
    entry_point : str or type
        ``"package.module:Class"``, imported when the backend is first made,
        or the class itself; the class follows
        :class:`neuroworm.backends.protocol.NetworkPopulation`.
    replace : bool
        Allow replacing an existing registration.

    Raises
    ------
    ConfigError
        If ``name`` is taken (and ``replace`` is False) or the entry point is
        not ``"module:Class"`` nor a class.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a backend name must be a non-empty string, got {name!r}")
    if isinstance(entry_point, str):
        module, _, attribute = entry_point.partition(":")
        if not module or not attribute:
            raise ConfigError(f"backend {name!r}: entry point must be 'module:Class', got {entry_point!r}")
    elif not isinstance(entry_point, type):
        raise ConfigError(f"backend {name!r}: entry point must be 'module:Class' or a class, got {entry_point!r}")
    if name in _ENTRY_POINTS and not replace and _ENTRY_POINTS[name] != entry_point:
        raise ConfigError(f"backend {name!r} is already registered ({_ENTRY_POINTS[name]!r}); pass replace=True")
    _ENTRY_POINTS[name] = entry_point


def backend_names():
    """Names of the registered backends, sorted."""
    return tuple(sorted(_ENTRY_POINTS))


def get_backend(name):
    """The class registered as ``name`` (importing its module now).

    Raises
    ------
    ConfigError
        If no backend is registered under ``name`` or its entry point does
        not import.
    """
    if not isinstance(name, str) or name not in _ENTRY_POINTS:
        raise ConfigError(f"unknown backend {name!r}; registered: {', '.join(backend_names())}")
    entry_point = _ENTRY_POINTS[name]
    if isinstance(entry_point, type):
        return entry_point
    module_name, _, attribute = entry_point.partition(":")
    try:
        target = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"backend {name!r}: cannot load {entry_point!r}: {error}") from error
    return target


def make_backend(name, layout, n_individuals, genomes=None, **options):
    """A population of ``n_individuals`` networks of ``layout`` on backend ``name``.

    Calls ``get_backend(name).from_layout(layout, n_individuals, genomes, **options)``.
    """
    return get_backend(name).from_layout(layout, n_individuals, genomes, **options)
