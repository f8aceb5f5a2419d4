"""The T-maze: gymnasium's checker, the rules, seeded rollouts, the vectorised version."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import neuroworm.tasks  # noqa: F401 - registers the environments
from neuroworm.errors import ConfigError
from neuroworm.tasks.tmaze import TMazeCore, TMazeEnv, TMazeVectorEnv
from neuroworm.tasks.tmaze_agents import (
    REFERENCE_AGENTS,
    AlwaysLeftAgent,
    TasteThenSwitchAgent,
    run_agent,
    switch_after_poison,
)

FORWARD, LEFT, RIGHT, NONE = range(4)
TO_LEFT_END = [FORWARD, FORWARD, LEFT, FORWARD]


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


def test_the_shortest_route_eats_in_four_actions_and_sees_the_colour_first():
    env = TMazeEnv()
    _, info = env.reset(seed=0)
    log = _walk(env, TO_LEFT_END)
    food_left = info["food_side"] == 0
    assert [entry[1] for entry in log] == [0, 0, 0, 1 if food_left else -1]
    np.testing.assert_array_equal(log[1][0], [1, 0, 0])  # at the junction, facing the wall
    np.testing.assert_array_equal(log[2][0], [0, 1, 0] if food_left else [0, 0, 1])  # the end ahead
    assert log[-1][3]["position"].tolist() == env.core.start.tolist()  # back at the start after eating
    assert log[-1][3]["energy"] == (10 if food_left else 6)  # poison does not refill: 6 of 10 actions left


def test_a_poison_meal_leaves_enough_energy_to_reach_the_food():
    # the paper: eating food gives "around 40 time steps" (10 actions); after poison the agent is reset
    # and can "revisit" the food; poison at the right end, then the left end's food, all on one energy
    core = TMazeCore(1)
    rng = np.random.default_rng(0)
    core.reset(rng)
    core.food_side[:] = 0
    rewards = [core.step(np.array([action]), rng)[0][0] for action in [FORWARD, FORWARD, RIGHT, FORWARD]]
    rewards += [core.step(np.array([action]), rng)[0][0] for action in TO_LEFT_END]
    assert rewards[3] == -1 and rewards[-1] == 1 and core.alive[0] and core.energy[0] == 10
    assert core.optimal_steps * 2 <= core.energy_steps


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
    assert picture[3] == "##^##" and {"G", "R"} <= set(picture[1])


def test_reference_agents_rank_as_expected_on_heldout_mazes():
    results = {name: run_agent(agent(), 400, seed=11) for name, agent in REFERENCE_AGENTS.items()}
    returns = {name: result.returns.mean() for name, result in results.items()}
    assert abs(returns["random"]) < 0.2 and 0 <= returns["always-left"] < 1.5
    assert returns["always-left"] + 10 < returns["taste-then-switch"] < returns["oracle"]
    assert (results["oracle"].rewards >= 0).all() and results["oracle"].alive.all()


def test_taste_then_switch_eats_food_after_every_poison_meal():
    rollout = run_agent(TasteThenSwitchAgent(), 500, seed=3)
    switched, cases, fed = switch_after_poison(rollout.rewards, rollout.ate_side)
    assert cases > 150  # about half the mazes start with poison on the left
    assert switched == cases and fed == cases
    assert rollout.alive[:, -1].all()  # no poison meal is fatal
    left = run_agent(AlwaysLeftAgent(), 500, seed=3)
    switched, cases, _ = switch_after_poison(left.rewards, left.ate_side)
    assert cases > 0 and switched == 0 and not left.alive[:, -1].any()


def test_switch_after_poison_counts_by_hand():
    rewards = np.array([[0, -1, 0, 1, -1, 0, -1, 0, 0, 0, 0, 0]])
    sides = np.array([[-1, 0, -1, 1, 1, -1, 1, -1, -1, -1, -1, -1]])
    # poison at 1 (next meal at 3 on the other side: switch, food), at 4 (next at 6 on the same side), at 6
    # (no next meal); with horizon 3 the case at 6 counts (6 < 12 - 3) and fails
    assert switch_after_poison(rewards, sides, horizon=3) == (1, 3, 1)
    assert switch_after_poison(rewards, sides, horizon=7) == (1, 2, 1)  # 6 >= 12 - 7: too late to count
