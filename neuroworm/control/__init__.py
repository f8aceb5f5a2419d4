"""The closed loop: controllers, one episode's books, and the evaluator.

P networks (any registered backend) drive P bodies: :class:`Controller`
encodes observations and decodes output activity, :class:`Rollout` keeps
one episode's books, :class:`ClosedLoopEvaluator` and :func:`evaluate` run
episodes generation after generation. Importing this package imports
neither Brian2 nor MuJoCo.
"""

from .controller import DEFAULT_NEURAL_STEPS_PER_ENV_STEP, Controller, check_neural_steps, default_neural_steps
from .evaluator import ClosedLoopEvaluator, environment_seeds, evaluate
from .rollout import Rollout, RolloutRecord

__all__ = [
    "DEFAULT_NEURAL_STEPS_PER_ENV_STEP",
    "ClosedLoopEvaluator",
    "Controller",
    "Rollout",
    "RolloutRecord",
    "check_neural_steps",
    "default_neural_steps",
    "environment_seeds",
    "evaluate",
]
