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

from ..backends.enu import ENULayer, ENUShape
from ..errors import ConfigError
from ..tasks.mimic import iaf_episodes, iaf_fitness, stdp_episodes, stdp_fitness

__all__ = ["MimicEvaluation", "run_single_enu"]


def run_single_enu(genomes, inputs, *, memory_size=32, n_outputs=16, channel=None, dtype=np.float32, xp=np):
    """Outputs of P single ENUs (one genome each) on B input sequences.

    All P·B units are one :class:`~neuroworm.backends.enu.ENULayer`: each
    step is four batched products, no loop over genomes or sequences.

    Parameters
    ----------
    genomes : array_like, shape (P, D)
    inputs : array_like, shape (B, T, n_inputs)
        The same B sequences for every genome.
    channel : int, optional
        Keep only this output channel (the mimic tasks read channel 0).
    xp : module
        Array module (NumPy; CuPy for a GPU).

    Returns
    -------
    numpy.ndarray, shape (P, B, T, n_outputs), or (P, B, T) with ``channel``
    """
    genomes = np.atleast_2d(genomes)
    inputs = np.asarray(inputs, dtype=dtype)
    n_env, steps, n_inputs = inputs.shape
    layer = ENULayer(ENUShape(n_inputs, memory_size, n_outputs), genomes.shape[0], n_env, dtype=dtype, xp=xp)
    layer.set_genomes(genomes)
    by_step = xp.asarray(np.ascontiguousarray(inputs.transpose(1, 2, 0)))  # (T, n_inputs, B)
    kept = layer.output.shape if channel is None else (genomes.shape[0], n_env)
    outputs = xp.empty((steps,) + kept, dtype=dtype)  # (T, P, C, B) or (T, P, B)
    for t in range(steps):
        layer.inputs[...] = by_step[t]
        output = layer.step()
        outputs[t] = output if channel is None else output[:, channel]
    outputs = outputs.transpose(1, 3, 0, 2) if channel is None else outputs.transpose(1, 2, 0)
    return outputs.get() if hasattr(outputs, "get") else outputs


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
        return run_single_enu(genomes, episodes.inputs, memory_size=self.memory_size, n_outputs=self.n_outputs,
                              channel=0)

    def per_episode(self, genomes, seed):
        """Fitness of every genome on every episode, shape (P, B)."""
        episodes = self.episodes(seed)
        output = self.outputs(genomes, episodes)
        target = np.broadcast_to(episodes.target, output.shape)
        return iaf_fitness(output, target) if self.task == "iaf" else stdp_fitness(output, target)

    def __call__(self, genomes, seeds=None):
        seed = None if seeds is None else int(seeds[0])
        return self.per_episode(genomes, seed).mean(axis=1)
