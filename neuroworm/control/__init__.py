"""Closed-loop control: encoders and decoders, and the loop that couples circuits to bodies.

Importing this package imports neither Brian2 nor MuJoCo.
"""

from .controller import DEFAULT_NEURAL_STEPS_PER_ENV_STEP, Controller, check_neural_steps, default_neural_steps
from .loop import Rollout, RolloutRecord, run_brian_loop, run_reference_loop

__all__ = [
    "DEFAULT_NEURAL_STEPS_PER_ENV_STEP",
    "Controller",
    "Rollout",
    "RolloutRecord",
    "check_neural_steps",
    "default_neural_steps",
    "run_brian_loop",
    "run_reference_loop",
]
