"""Backends: populations of networks behind one protocol, registered by name.

:class:`~neuroworm.backends.protocol.NetworkPopulation` is the protocol;
:mod:`neuroworm.backends.registry` maps names to ``"module:Class"`` entry
points. The NumPy reference of the spiking models lives here; Brian2's
backend is :mod:`neuroworm.brian`. Importing this package imports neither.
"""

from .protocol import NetworkPopulation
from .reference import ReferenceNetwork
from .registry import backend_names, get_backend, make_backend, register_backend

__all__ = ["NetworkPopulation", "ReferenceNetwork", "backend_names", "get_backend", "make_backend",
           "register_backend"]
