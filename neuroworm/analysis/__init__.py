"""Analyses of what a network did: the gait of a swimming body, and evaluating a saved genome."""

from .gait import Gait, gait_analysis, summarise_gaits

__all__ = ["Gait", "gait_analysis", "summarise_gaits"]
