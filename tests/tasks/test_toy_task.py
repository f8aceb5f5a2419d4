"""A task is a gymnasium environment and one registration: a toy task defined here runs the closed loop.

No file of neuroworm changes for it: ``gymnasium.register`` makes it known,
``make_vec`` batches it (gymnasium's ``SyncVectorEnv``), and the closed loop
reads its spaces, encodes its observations and scores its rewards.
"""

import math

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

from neuroworm.control import ClosedLoopEvaluator

TASK = "neuroworm_test/Beacon-v0"
STEPS = 6


class BeaconEnv(gymnasium.Env):
    """Point the action at a beacon that circles the origin.

    ## Observation Space
    ``(cos θ, sin θ)``, the beacon's direction; θ is drawn uniformly at reset
    and grows by 0.3 rad per step.

    ## Action Space
    ``Box(-1, 1, (2,))``.

    ## Rewards
    ``-‖a - o‖²`` with ``o`` the observation the action answers.

    ## Episode End
    Truncated after the registered ``max_episode_steps``; never terminates.
    """

    observation_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float64)
    action_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float64)

    def _observation(self):
        return np.array([math.cos(self.angle), math.sin(self.angle)])

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.angle = float(self.np_random.uniform(0.0, 2 * math.pi))
        return self._observation(), {}

    def step(self, action):
        reward = -float(np.sum((np.asarray(action, dtype=np.float64) - self._observation()) ** 2))
        self.angle += 0.3
        return self._observation(), reward, False, False, {}


@pytest.fixture
def toy_task():
    gymnasium.register(id=TASK, entry_point=BeaconEnv, max_episode_steps=STEPS)
    yield TASK
    del gymnasium.registry[TASK]


def test_a_registered_toy_task_runs_the_closed_loop(small_circuit, toy_task):
    check_env(gymnasium.make(toy_task).unwrapped, skip_render_check=True)
    evaluator = ClosedLoopEvaluator(small_circuit, "alif", toy_task, backend="reference", episode_steps=STEPS,
                                    input_gain=3.0)
    assert (evaluator.layout.n_observations, evaluator.layout.n_actions) == (2, 2)
    genomes = evaluator.layout.random(3, seed=1, weight_noise=0.3)
    genomes[:, evaluator.layout.slices["encoder"]] *= 10.0
    seeds = [11, 12, 13]
    returns, record = evaluator.rollout(genomes, seeds=seeds, record=True)
    evaluator.close()
    # the environment's rules, read back from the record: the beacon circles, rewards score the actions
    angles = np.unwrap(np.arctan2(record.observations[..., 1], record.observations[..., 0]), axis=0)
    np.testing.assert_allclose(np.diff(angles, axis=0), 0.3, atol=1e-12)
    expected_rewards = -np.sum((record.actions - record.observations[:-1]) ** 2, axis=-1)
    np.testing.assert_allclose(record.rewards, expected_rewards, rtol=1e-12)
    np.testing.assert_allclose(returns, record.rewards.sum(axis=0), rtol=1e-12)
    assert record.rewards.shape == (STEPS, 3) and np.ptp(returns) > 0
    # each genome alone, on its own seed, swims as it did in the batch
    alone = ClosedLoopEvaluator(small_circuit, "alif", toy_task, backend="reference", episode_steps=STEPS,
                                input_gain=3.0)
    assert alone.rollout(genomes[1:2], seeds=seeds[1:2])[0] == returns[1]
    alone.close()
