"""Open-loop evaluation: populations of networks scored on labelled images (MNIST), no environment.

The dense ReLU backend it uses by default lives with the other backends
(:mod:`neuroworm.backends.dense`, re-exported here), the compiled Brian2
population in :mod:`neuroworm.brian.openloop_standalone`.
"""

from ..backends.dense import DenseReLUNetwork, dense_relu_activity, dense_relu_matrices
from .evaluator import DEFAULT_BACKEND, DEFAULT_STEPS, OpenLoopEvaluator, accuracy, cross_entropy

__all__ = [
    "DEFAULT_BACKEND",
    "DEFAULT_STEPS",
    "DenseReLUNetwork",
    "OpenLoopEvaluator",
    "accuracy",
    "cross_entropy",
    "dense_relu_activity",
    "dense_relu_matrices",
]
