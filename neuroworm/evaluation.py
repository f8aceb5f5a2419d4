"""Closed-loop evaluation (kept importable here; the code is in :mod:`neuroworm.control.evaluator`)."""

from .control.evaluator import ClosedLoopEvaluator, RolloutRecord, environment_seeds, evaluate

__all__ = ["ClosedLoopEvaluator", "RolloutRecord", "environment_seeds", "evaluate"]
