"""Analyses of what a network did: the gait of a swimming body, a saved worm's held-out returns, its video."""

from .gait import Gait, gait_analysis, summarise_gaits
from .swim import GenomeEvaluation, WormFile, evaluate_genome, load_genome_file
from .video import render_video

__all__ = ["Gait", "GenomeEvaluation", "WormFile", "evaluate_genome", "gait_analysis", "load_genome_file",
           "render_video", "summarise_gaits"]
