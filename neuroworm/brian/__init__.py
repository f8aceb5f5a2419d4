"""Brian2 backend: population-batched networks of the papers' spiking models.

Importing this package does not import Brian2; :func:`build_network` does.
"""

from .network import BrianNetwork, build_network

__all__ = ["BrianNetwork", "build_network"]
