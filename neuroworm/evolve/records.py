"""What a run records: logbook rows, the hall of fame, and the run's result.

Each generation adds one row to a ``deap.tools.Logbook``:

======== ==============================================================
gen      index of the generation, from 0
nevals   individuals evaluated in this generation
failed   individuals whose evaluation failed (NaN or -inf fitness)
best     best fitness found so far (the hall of fame's first entry)
mean     mean fitness of the generation's successful evaluations
std      their standard deviation
min      their minimum
max      the generation's best fitness (elites included)
...      strategy values, e.g. ``sigma`` or ``mutation_rate_connectome``,
         as used to generate this generation
======== ==============================================================
"""

from dataclasses import dataclass, field

import numpy as np
from deap import tools

__all__ = ["LOGBOOK_COLUMNS", "EvolutionResult", "generation_record", "new_hall_of_fame", "new_logbook",
           "update_hall_of_fame"]

#: The columns every neuroworm logbook starts with.
LOGBOOK_COLUMNS = ("gen", "nevals", "failed", "best", "mean", "std", "min", "max")


def new_logbook():
    """An empty ``deap.tools.Logbook`` with neuroworm's column order."""
    logbook = tools.Logbook()
    logbook.header = list(LOGBOOK_COLUMNS)
    return logbook


def new_hall_of_fame(size=1):
    """A ``deap.tools.HallOfFame`` that compares genomes with ``numpy.array_equal``."""
    return tools.HallOfFame(int(size), similar=np.array_equal)


def update_hall_of_fame(hall_of_fame, individuals):
    """Add ``individuals`` to ``hall_of_fame``, keeping each genome's best score.

    ``deap.tools.HallOfFame.update`` skips an individual whose genome is
    already stored, so an elite that is re-evaluated (noisy tasks) and scores
    higher would keep its old, lower fitness, and the logbook's best-so-far
    could fall below the generation's maximum. Here such an entry is replaced
    by the better-scoring copy first.

    Parameters
    ----------
    hall_of_fame : deap.tools.HallOfFame
    individuals : sequence of Individual
    """
    for individual in individuals:
        for position, kept in enumerate(hall_of_fame):
            if np.array_equal(kept, individual):
                if individual.fitness > kept.fitness:
                    hall_of_fame.remove(position)
                break
    hall_of_fame.update(individuals)


def generation_record(generation, fitness, n_evaluated, best_so_far, strategy_values):
    """One logbook row (see the module docstring).

    Parameters
    ----------
    generation : int
    fitness : numpy.ndarray, shape (P,)
        The generation's fitness values, ``-inf`` for failures.
    n_evaluated : int
    best_so_far : float
    strategy_values : dict of str to float

    Returns
    -------
    dict
    """
    successful = fitness[fitness > -np.inf]  # drops -inf and NaN
    if successful.size:
        statistics = {
            "mean": float(np.mean(successful)),
            "std": float(np.std(successful)),
            "min": float(np.min(successful)),
            "max": float(np.max(successful)),
        }
    else:
        statistics = dict.fromkeys(("mean", "std", "min", "max"), float("nan"))
    record = {
        "gen": int(generation),
        "nevals": int(n_evaluated),
        "failed": int(fitness.size - successful.size),
        "best": float(best_so_far),
        **statistics,
    }
    record.update({key: float(value) for key, value in strategy_values.items()})
    return record


@dataclass
class EvolutionResult:
    """The outcome of :func:`neuroworm.evolve.run`.

    Attributes
    ----------
    strategy : Strategy
        The strategy after the last generation (its state, e.g. the ES
        center or the GA elites, and its generator).
    population : list of Individual
        The last generation, with fitness.
    logbook : deap.tools.Logbook
        One row per generation.
    hall_of_fame : deap.tools.HallOfFame
        Best individuals ever evaluated, best first.
    generations : int
        Number of completed generations.
    checkpoint : pathlib.Path or None
        The checkpoint file of the run, if any.
    """

    strategy: object
    population: list
    logbook: tools.Logbook
    hall_of_fame: tools.HallOfFame
    generations: int
    checkpoint: object = field(default=None)

    @property
    def best(self):
        """The best genome ever evaluated, as a plain array of shape (D,)."""
        return np.asarray(self.hall_of_fame[0]).copy()

    @property
    def best_fitness(self):
        """Its fitness."""
        return float(self.hall_of_fame[0].fitness.values[0])

    def logbook_frame(self):
        """The logbook as a :class:`pandas.DataFrame`, one row per generation."""
        import pandas as pd

        columns = list(self.logbook.header or LOGBOOK_COLUMNS)
        frame = pd.DataFrame(list(self.logbook))
        extra = [column for column in frame.columns if column not in columns]
        return frame[[column for column in columns if column in frame.columns] + extra]

    def to_csv(self, path):
        """Write :meth:`logbook_frame` to ``path`` (no index column)."""
        self.logbook_frame().to_csv(path, index=False)
