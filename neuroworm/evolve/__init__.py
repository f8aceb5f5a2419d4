"""Evolution of genomes: elite GA, OpenAI-ES and CMA-ES with DEAP's toolbox.

Strategies have DEAP's ``generate``/``update`` shape and draw every random
number from an explicit ``numpy.random.Generator``; :func:`run` drives them
against a batched evaluate function, with a logbook, a hall of fame,
atomic checkpoints, a progress bar and optional Dask scale-out.
"""

from .checkpoint import read_checkpoint, write_checkpoint
from .cma_es import CMAES
from .driver import run
from .elite_ga import EliteGA, gaussian_mutation, select_elites
from .expansion import LinearExpansion, SharedWeights
from .groups import GenomeGroups
from .individual import FitnessMax, Individual
from .nne import NNE
from .openai_es import OpenAIES
from .optimizers import Adam, MomentumSGD
from .parallel import BatchEvaluation, open_map
from .records import EvolutionResult
from .shaping import centered_ranks, rank_power_weights
from .strategy import Strategy
from .toolbox import make_toolbox

__all__ = [
    "CMAES",
    "NNE",
    "Adam",
    "BatchEvaluation",
    "EliteGA",
    "EvolutionResult",
    "FitnessMax",
    "GenomeGroups",
    "Individual",
    "LinearExpansion",
    "MomentumSGD",
    "OpenAIES",
    "SharedWeights",
    "Strategy",
    "centered_ranks",
    "gaussian_mutation",
    "make_toolbox",
    "open_map",
    "rank_power_weights",
    "read_checkpoint",
    "run",
    "select_elites",
    "write_checkpoint",
]
