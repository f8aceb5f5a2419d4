"""NumPy backends: the discrete reference of the spiking models (and, later, ReLU, ENU, NNE, DNN, MLPs)."""

from .reference import ReferenceNetwork

__all__ = ["ReferenceNetwork"]
