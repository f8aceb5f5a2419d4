"""A ``deap.base.Toolbox`` holding a strategy's operators and the evaluation.

The toolbox is DEAP's registry of operators with a swappable ``map``.  The
driver (:func:`neuroworm.evolve.run`) works through it, and it can be used
with DEAP's own loop::

    toolbox = make_toolbox(strategy, evaluate)
    deap.algorithms.eaGenerateUpdate(toolbox, ngen=50, halloffame=hof)

Registered names
----------------
generate()
    ``strategy.generate(Individual)``.
update(population)
    ``strategy.update``.
map(function, iterable)
    The map behind evaluation (builtin, process pool, Dask, ...).
evaluate(individual)
    One individual's fitness as a 1-tuple, DEAP's per-individual convention.
evaluate_population(genomes, seeds=None)
    Batched evaluation of a genome matrix through ``map``
    (:class:`~neuroworm.evolve.parallel.BatchEvaluation`).
mutate(genomes, sigma)
    Gaussian mutation drawing from the strategy's generator
    (:func:`~neuroworm.evolve.elite_ga.gaussian_mutation`).
"""

from functools import partial

import numpy as np
from deap import base

from .elite_ga import gaussian_mutation
from .individual import Individual
from .parallel import BatchEvaluation, _builtin_map

__all__ = ["make_toolbox"]


class _EvaluateOne:
    """DEAP-style ``evaluate(individual) -> (fitness,)`` from a batched evaluate."""

    def __init__(self, evaluation):
        self.evaluation = evaluation

    def __call__(self, individual):
        if self.evaluation.pass_seeds:
            raise TypeError("this evaluate function needs seeds; use toolbox.evaluate_population")
        return (float(self.evaluation(np.asarray(individual)[None, :])[0]),)


def _mutate_with(strategy, genomes, sigma):
    return gaussian_mutation(genomes, sigma, seed=strategy.rng)


def make_toolbox(strategy, evaluate=None, *, map=None, batch_size=None, workers=None):
    """Register a strategy's operators and a batched evaluation in a Toolbox.

    Parameters
    ----------
    strategy : Strategy
        Any object with ``generate(ind_init)``, ``update(population)`` and
        an ``rng`` generator.
    evaluate : callable, optional
        ``evaluate(genomes (B, D)) -> (B,)``.
    map : callable, optional
        ``map(function, iterable)``; default: in-process.  Use
        :class:`~neuroworm.evolve.parallel.open_map` to get one for
        ``"process"`` or Dask.
    batch_size, workers : int, optional
        See :class:`~neuroworm.evolve.parallel.BatchEvaluation`.

    Returns
    -------
    deap.base.Toolbox
    """
    toolbox = base.Toolbox()
    map_function = _builtin_map if map is None else map
    toolbox.register("map", map_function)
    toolbox.register("generate", strategy.generate, Individual)
    toolbox.register("update", strategy.update)
    toolbox.register("mutate", partial(_mutate_with, strategy))
    if evaluate is not None:
        evaluation = BatchEvaluation(evaluate, map_function, batch_size=batch_size, workers=workers)
        toolbox.register("evaluate_population", evaluation)
        toolbox.register("evaluate", _EvaluateOne(BatchEvaluation(evaluate)))
    return toolbox
