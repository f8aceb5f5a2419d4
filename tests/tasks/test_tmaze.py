"""The T-maze: gymnasium's checker, the rules, seeded rollouts, the vectorised version."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import neuroworm.tasks  # noqa: F401 - registers the environments
from neuroworm.errors import ConfigError
from neuroworm.tasks.tmaze import TMazeCore, TMazeEnv, TMazeVectorEnv

FORWARD, LEFT, RIGHT, NONE = range(4)
TO_LEFT_END = [FORWARD, FORWARD, FORWARD, LEFT, FORWARD, FORWARD]


def test_registered_env_passes_gymnasiums_checker():
    env = gymnasium.make("neuroworm/TMaze-v0")
    check_env(env.unwrapped)
    assert env.spec.max_episode_steps == 100
    assert isinstance(env.unwrapped, TMazeEnv)
    vector = gymnasium.make_vec("neuroworm/TMaze-v0", 3, vectorization_mode="vector_entry_point")
    assert isinstance(vector, TMazeVectorEnv) and vector.observation_space.shape == (3, 3)


def _walk(env, actions):
    log = []
    for action in actions:
        observation, reward, terminated, _, info = env.step(action)
        log.append((observation.copy(), reward, terminated, info))
    return log


def test_the_shortest_route_eats_in_six_actions_and_sees_the_colour_first():
    env = TMazeEnv()
    _, info = env.reset(seed=0)
    log = _walk(env, TO_LEFT_END)
    food_left = info["food_side"] == 0
    assert [entry[1] for entry in log] == [0, 0, 0, 0, 0, 1 if food_left else -1]
    np.testing.assert_array_equal(log[2][0], [1, 0, 0])  # at the junction, facing the wall
    np.testing.assert_array_equal(log[4][0], [0, 1, 0] if food_left else [0, 0, 1])  # the end ahead
    assert log[-1][3]["position"].tolist() == env.core.start.tolist()  # back at the start after eating
    assert log[-1][3]["energy"] == (10 if food_left else 4)


def test_energy_runs_out_without_food():
    env = TMazeEnv(energy=5)
    env.reset(seed=1)
    log = _walk(env, [NONE] * 5)
    assert [entry[2] for entry in log] == [False] * 4 + [True]


def test_food_and_poison_swap_after_the_drawn_number_of_meals():
    core = TMazeCore(1, meals_before_switch=(2, 2))
    rng = np.random.default_rng(0)
    core.reset(rng)
    core.food_side[:] = 0
    rewards = []
    for _ in range(3):
        for action in TO_LEFT_END:
            reward, _ = core.step(np.array([action]), rng)
            rewards.append(reward[0])
    assert [r for r in rewards if r] == [1, 1, -1]  # two meals on the left, then the left end is poison
    assert core.food_side[0] == 1


def test_seeded_rollouts_are_equal_and_vector_env_autoresets():
    def rollout(seed):
        envs = TMazeVectorEnv(4, energy=6)
        observations = [envs.reset(seed=seed)[0]]
        rng = np.random.default_rng(seed)
        flags = []
        for _ in range(30):
            observation, reward, terminated, truncated, _ = envs.step(rng.integers(0, 4, 4))
            observations.append(np.concatenate([observation.ravel(), reward, terminated, truncated]))
            flags.append(terminated)
        return np.concatenate([o.ravel() for o in observations]), np.array(flags)

    first, flags = rollout(5)
    np.testing.assert_array_equal(first, rollout(5)[0])
    assert flags.any()  # agents die without food
    envs = TMazeVectorEnv(2, energy=2, max_episode_steps=50)
    envs.reset(seed=0)
    envs.step([NONE, NONE])
    _, _, terminated, _, info = envs.step([NONE, NONE])
    assert terminated.all() and not info["alive"].any()
    _, reward, terminated, _, info = envs.step([FORWARD, FORWARD])  # the autoreset step
    assert not terminated.any() and info["alive"].all() and (info["energy"] == 2).all() and not reward.any()


def test_bad_actions_and_arguments_are_refused():
    env = TMazeEnv()
    env.reset(seed=0)
    with pytest.raises(ConfigError, match="action"):
        env.step(7)
    with pytest.raises(ConfigError, match="meals_before_switch"):
        TMazeCore(1, meals_before_switch=(4, 2))
    with pytest.raises(ConfigError, match="energy"):
        TMazeEnv(energy=0)


def test_render_shows_the_maze():
    env = TMazeEnv(render_mode="ansi")
    env.reset(seed=0)
    picture = env.render().splitlines()
    assert picture[4] == "###^###" and {"G", "R"} <= set(picture[1])
