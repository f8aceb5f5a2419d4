"""Single ENUs scored against the mimic tasks' targets (open loop, no environment).

:class:`MimicEvaluation` is a picklable ``evaluate(genomes (P, D), seeds=...)
-> fitness (P,)`` for :func:`neuroworm.evolve.run`.  All P offspring meet the
same mini-batch of episodes, drawn from the batch's first seed (common
random numbers, so the ranking compares genomes, not luck); the whole
population is one array computation.

References
----------
.. [1] P. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §4.1, §4.4.
"""

from dataclasses import dataclass

import numpy as np

from ..backends.enu import ENUShape, enu_step
from ..errors import ConfigError
from ..tasks.mimic import iaf_episodes, iaf_fitness, stdp_episodes, stdp_fitness

__all__ = ["MimicEvaluation", "run_single_enu"]


def run_single_enu(genomes, inputs, *, memory_size=32, n_outputs=16, dtype=np.float32):
    """Outputs of P single ENUs (one genome each) on B input sequences.

    Parameters
    ----------
    genomes : array_like, shape (P, D)
    inputs : array_like, shape (B, T, n_inputs)
        The same B sequences for every genome.

    Returns
    -------
    numpy.ndarray, shape (P, B, T, n_outputs)
    """
    genomes = np.atleast_2d(genomes)
    inputs = np.asarray(inputs, dtype=dtype)
    n_env, steps, n_inputs = inputs.shape
    shape = ENUShape(n_inputs, memory_size, n_outputs)
    gates = shape.unpack(genomes, dtype=dtype)
    p = genomes.shape[0]
    memory = np.zeros((p, n_env, memory_size), dtype=dtype)
    output = np.zeros((p, n_env, n_outputs), dtype=dtype)
    outputs = np.empty((p, n_env, steps, n_outputs), dtype=dtype)
    for t in range(steps):
        memory, output = enu_step(gates, memory, output, np.broadcast_to(inputs[:, t], (p, n_env, n_inputs)))
        outputs[:, :, t] = output
    return outputs


@dataclass
class MimicEvaluation:
    """Fitness of single ENUs mimicking IAF (``task="iaf"``) or gated STDP (``"stdp"``).

    The ENU's first output channel is compared with the target
    (:func:`~neuroworm.tasks.mimic.iaf_fitness`,
    :func:`~neuroworm.tasks.mimic.stdp_fitness`); fitness is the mean over
    ``n_environments`` episodes of ``steps`` steps (paper: 32 and 100).
    """

    task: str
    n_environments: int = 32
    steps: int = 100
    memory_size: int = 32
    n_outputs: int = 16

    def __post_init__(self):
        if self.task not in ("iaf", "stdp"):
            raise ConfigError(f"task must be 'iaf' or 'stdp', got {self.task!r}")

    @property
    def shape(self):
        """The ENU's :class:`~neuroworm.backends.enu.ENUShape`."""
        return ENUShape(1 if self.task == "iaf" else 4, self.memory_size, self.n_outputs)

    def episodes(self, seed):
        """The mini-batch of episodes for ``seed``."""
        make = iaf_episodes if self.task == "iaf" else stdp_episodes
        return make(self.n_environments, self.steps, seed=seed)

    def outputs(self, genomes, episodes):
        """First output channel, shape (P, B, T)."""
        return run_single_enu(genomes, episodes.inputs, memory_size=self.memory_size,
                              n_outputs=self.n_outputs)[..., 0]

    def per_episode(self, genomes, seed):
        """Fitness of every genome on every episode, shape (P, B)."""
        episodes = self.episodes(seed)
        output = self.outputs(genomes, episodes)
        target = np.broadcast_to(episodes.target, output.shape)
        return iaf_fitness(output, target) if self.task == "iaf" else stdp_fitness(output, target)

    def __call__(self, genomes, seeds=None):
        seed = None if seeds is None else int(seeds[0])
        return self.per_episode(genomes, seed).mean(axis=1)
