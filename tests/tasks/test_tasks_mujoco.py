"""Tests of the batched MuJoCo environments against gymnasium's, and of their registration."""

import subprocess
import sys
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from neuroworm.errors import TaskError
from neuroworm.tasks import (
    NEUROWORM_ENV_IDS,
    BatchedHalfCheetah,
    BatchedSwimmer,
    make_vec,
    swimmer_xml,
    swimmer_xml_path,
)
from neuroworm.tasks.physics import has_mujoco_batch

TOLERANCE = 1e-9
SEEDS = [3, 41, 1234]  # distinct, non-consecutive: each body has its own generator


def closed_loop_policy(n_observations, n_actions, seed=0, dtype=np.float64):
    """Actions as tanh of a fixed random linear map of the observations."""
    weights = np.random.default_rng(seed).normal(scale=0.5, size=(n_observations, n_actions))
    return lambda observations: np.tanh(observations @ weights).astype(dtype)


def assert_same_rollouts(reference, batched, n_steps, seeds, dtype=np.float64, max_episode_steps=1000):
    """Step two vector envs with the same closed-loop actions; compare everything they return."""
    reference_obs, reference_info = reference.reset(seed=seeds)
    batched_obs, batched_info = batched.reset(seed=seeds)
    np.testing.assert_allclose(batched_obs, reference_obs, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(
        batched_info["x_position"], reference_info["x_position"], rtol=0, atol=TOLERANCE
    )
    policy = closed_loop_policy(
        reference.single_observation_space.shape[0], reference.single_action_space.shape[0], dtype=dtype
    )
    n_truncations = 0
    for step in range(n_steps):
        actions = policy(reference_obs)  # from gymnasium's observations: the loop is closed on the reference
        reference_result = reference.step(actions)
        batched_result = batched.step(actions)
        reference_obs = reference_result[0]
        for name, expected, actual in zip(
            ["observations", "rewards", "terminations", "truncations"],
            reference_result[:4],
            batched_result[:4],
        ):
            assert actual.shape == expected.shape, (name, step)
            assert actual.dtype == expected.dtype, (name, step)
            if actual.dtype == np.bool_:
                np.testing.assert_array_equal(actual, expected, err_msg=f"{name} at step {step}")
            else:
                np.testing.assert_allclose(
                    actual, expected, rtol=0, atol=TOLERANCE, err_msg=f"{name} at step {step}"
                )
        reference_infos, batched_infos = reference_result[4], batched_result[4]
        assert set(batched_infos) == set(reference_infos), step
        for key, expected in reference_infos.items():
            np.testing.assert_allclose(
                batched_infos[key], expected, rtol=0, atol=TOLERANCE, err_msg=f"{key} at step {step}"
            )
        n_truncations += reference_result[3].sum()
        if step == max_episode_steps - 1:
            assert reference_result[3].all()  # the episode boundary is inside the compared window
    return n_truncations


# ---------------------------------------------------------------------------- equivalence with gymnasium

needs_mujoco_batch = pytest.mark.skipif(not has_mujoco_batch(), reason="mujoco.batch needs MuJoCo >= 4")
PHYSICS_STEPPERS = ["threads", pytest.param("batch", marks=needs_mujoco_batch)]


@pytest.mark.mujoco
@pytest.mark.parametrize("stepper", PHYSICS_STEPPERS)
@pytest.mark.parametrize(
    ("env_id", "batched_env_class", "dtype"),
    [("Swimmer-v5", BatchedSwimmer, np.float64), ("HalfCheetah-v5", BatchedHalfCheetah, np.float32)],
)
def test_batched_env_equals_gymnasium_over_a_full_episode(env_id, batched_env_class, dtype, stepper):
    """1000 closed-loop steps, the autoreset step and a few more, for P=3 bodies with distinct seeds."""
    reference = gymnasium.make_vec(env_id, 3, vectorization_mode="sync")
    batched = batched_env_class(3, num_threads=2, stepper=stepper)
    assert_same_rollouts(reference, batched, n_steps=1005, seeds=SEEDS, dtype=dtype)
    reference.close()
    batched.close()


@pytest.mark.mujoco
@pytest.mark.slow
@pytest.mark.parametrize("stepper", PHYSICS_STEPPERS)
@pytest.mark.parametrize("env_id", ["Swimmer-v5", "HalfCheetah-v5", "neuroworm/Swimmer6-v0"])
def test_batched_env_equals_gymnasium_over_two_episodes_with_threads(env_id, stepper):
    """Two episodes of 16 bodies split over two threads, with non-default arguments."""
    kwargs = {
        "frame_skip": 3,
        "ctrl_cost_weight": 0.05,
        "forward_reward_weight": 2.0,
        "reset_noise_scale": 0.2,
    }
    reference = gymnasium.make_vec(env_id, 16, vectorization_mode="sync", **kwargs)
    batched = make_vec(env_id, 16, num_threads=2, stepper=stepper, **kwargs)
    assert isinstance(batched, BatchedSwimmer | BatchedHalfCheetah)
    assert_same_rollouts(reference, batched, n_steps=2002, seeds=list(range(100, 116)))


@pytest.mark.mujoco
@pytest.mark.parametrize("env_id", ["Swimmer-v5", "HalfCheetah-v5"])
def test_positions_in_observation_and_short_episodes_equal_gymnasium(env_id):
    kwargs = {"exclude_current_positions_from_observation": False}
    reference = gymnasium.make_vec(env_id, 2, vectorization_mode="sync", max_episode_steps=20, **kwargs)
    batched = make_vec(env_id, 2, max_episode_steps=20, **kwargs)
    assert batched.single_observation_space == reference.single_observation_space
    assert_same_rollouts(reference, batched, n_steps=45, seeds=[7, 8], max_episode_steps=20)


@pytest.mark.mujoco
@pytest.mark.parametrize("stepper", PHYSICS_STEPPERS)
def test_reset_mask_and_unseeded_resets_follow_gymnasium(stepper):
    reference = gymnasium.make_vec("HalfCheetah-v5", 4, vectorization_mode="sync")
    batched = make_vec("HalfCheetah-v5", 4, stepper=stepper)
    reference.reset(seed=10)
    batched.reset(seed=10)
    mask = np.array([True, False, True, False])
    # a second reset draws from the generators seeded by the first, as gymnasium's do
    reference_obs, _ = reference.reset(options={"reset_mask": mask.copy()})
    batched_obs, infos = batched.reset(options={"reset_mask": mask.copy()})
    np.testing.assert_allclose(batched_obs[mask], reference_obs[mask], rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(infos["_x_position"], mask)
    actions = np.full((4, 6), 0.5)
    for _ in range(50):  # the partially reset population steps on as gymnasium's does
        np.testing.assert_allclose(
            batched.step(actions)[0], reference.step(actions)[0], rtol=0, atol=TOLERANCE
        )


@pytest.mark.mujoco
def test_integer_seed_seeds_consecutive_bodies():
    by_int, _ = make_vec("Swimmer-v5", 3).reset(seed=5)
    by_list, _ = make_vec("Swimmer-v5", 3).reset(seed=[5, 6, 7])
    np.testing.assert_array_equal(by_int, by_list)


@pytest.mark.mujoco
def test_steppers_and_thread_counts_step_exactly_alike():
    steppers = ["threads", "batch"] if has_mujoco_batch() else ["threads"]
    observations = {}
    for stepper in steppers:
        for num_threads in (1, 2):
            envs = BatchedHalfCheetah(40, num_threads=num_threads, stepper=stepper)
            obs, _ = envs.reset(seed=0)
            policy = closed_loop_policy(17, 6)
            for _ in range(30):
                obs = envs.step(policy(obs))[0]
            observations[stepper, num_threads] = obs
            envs.close()
    for obs in observations.values():
        np.testing.assert_array_equal(obs, observations["threads", 1])


# ---------------------------------------------------------------------------- registered environments


def registered_single_envs():
    return [
        ("neuroworm/Swimmer6-v0", {}),
        ("neuroworm/SwimmerN-v0", {}),
        ("neuroworm/SwimmerN-v0", {"n_links": 8}),
    ]


@pytest.mark.mujoco
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum) value is")  # every MuJoCo env's
@pytest.mark.parametrize(("env_id", "kwargs"), registered_single_envs())
def test_registered_env_passes_check_env(env_id, kwargs):
    env = gymnasium.make(env_id, **kwargs)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.mujoco
@pytest.mark.parametrize(("env_id", "kwargs"), registered_single_envs())
def test_seeded_rollouts_are_equal(env_id, kwargs):
    def rollout():
        env = gymnasium.make(env_id, **kwargs)
        observation, _ = env.reset(seed=123)
        env.action_space.seed(123)
        trajectory = [observation]
        for _ in range(50):
            observation, reward, _, _, _ = env.step(env.action_space.sample())
            trajectory += [observation, [reward]]
        env.close()
        return np.concatenate(trajectory)

    np.testing.assert_array_equal(rollout(), rollout())


@pytest.mark.mujoco
@pytest.mark.parametrize("env_id", ["Swimmer-v5", "HalfCheetah-v5", *NEUROWORM_ENV_IDS])
def test_seeded_batched_rollouts_are_equal(env_id):
    def rollout():
        envs = make_vec(env_id, 3)
        observations, _ = envs.reset(seed=9)
        policy = closed_loop_policy(envs.single_observation_space.shape[0], envs.single_action_space.shape[0])
        trajectory = [observations]
        for _ in range(30):
            observations, rewards, *_ = envs.step(policy(observations))
            trajectory += [observations, rewards[:, None]]
        envs.close()
        return np.concatenate(trajectory, axis=1)

    np.testing.assert_array_equal(rollout(), rollout())


@pytest.mark.mujoco
def test_swimmer6_has_five_actuators_and_fourteen_observations():
    env = gymnasium.make("neuroworm/Swimmer6-v0")
    assert env.unwrapped.model.nu == 5
    assert env.action_space.shape == (5,)
    assert env.observation_space.shape == (14,)  # 6 angles + 2 head velocities + 6 angular velocities
    envs = make_vec("neuroworm/Swimmer6-v0", 4)
    assert envs.single_action_space == env.action_space
    assert envs.observation_space.shape == (4, 14)
    env.close()


@pytest.mark.mujoco
@pytest.mark.parametrize("n_links", [2, 5, 10])
def test_n_link_swimmer_sizes(n_links):
    envs = make_vec("neuroworm/SwimmerN-v0", 2, n_links=n_links)
    assert envs.single_action_space.shape == (n_links - 1,)
    assert envs.single_observation_space.shape == (2 * n_links + 2,)


@pytest.mark.mujoco
def test_three_link_generated_swimmer_is_gymnasiums():
    """swimmer_xml(3) compiles to gymnasium's swimmer.xml: the same episode, step for step."""
    reference = gymnasium.make_vec("Swimmer-v5", 2, vectorization_mode="sync")
    generated = gymnasium.make_vec("neuroworm/SwimmerN-v0", 2, vectorization_mode="sync", n_links=3)
    assert_same_rollouts(reference, generated, n_steps=200, seeds=[1, 2])


def test_swimmer_xml_path_is_cached_and_rejects_bad_link_counts(tmp_path):
    first = swimmer_xml_path(6, directory=tmp_path)
    assert first == swimmer_xml_path(6, directory=tmp_path)
    assert Path(first).read_text() == swimmer_xml(6)
    assert swimmer_xml(6).count("<motor ") == 5
    for bad in (1, 0, 2.5, "6", True):
        with pytest.raises(TaskError, match="n_links"):
            swimmer_xml(bad)


# ---------------------------------------------------------------------------- make_vec and errors


def test_make_vec_falls_back_to_gymnasium_sync_vector_env():
    envs = make_vec("CartPole-v1", 3)
    assert isinstance(envs, gymnasium.vector.SyncVectorEnv)
    assert envs.num_envs == 3
    envs.close()


def test_make_vec_names_an_unknown_id():
    with pytest.raises(TaskError, match="NoSuchWorm-v9"):
        make_vec("NoSuchWorm-v9", 2)


@pytest.mark.mujoco
def test_gymnasium_make_vec_uses_the_batched_swimmer_for_neuroworm_ids():
    envs = gymnasium.make_vec("neuroworm/Swimmer6-v0", 2)
    assert isinstance(envs, BatchedSwimmer)
    assert envs.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.NEXT_STEP


@pytest.mark.mujoco
def test_bad_arguments_raise_task_error():
    envs = make_vec("Swimmer-v5", 2)
    envs.reset(seed=0)
    with pytest.raises(TaskError, match=r"\(2, 2\)"):
        envs.step(np.zeros((2, 3)))
    with pytest.raises(TaskError, match="seeds"):
        envs.reset(seed=[1, 2, 3])
    with pytest.raises(TaskError, match="n_links"):
        BatchedSwimmer(2, n_links=4, xml_file="other.xml")
    with pytest.raises(TaskError, match="xml_file"):
        BatchedSwimmer(2, xml_file="no_such_model.xml")
    with pytest.raises(TaskError, match="xml_file"):
        gymnasium.make("neuroworm/Swimmer6-v0", xml_file="swimmer.xml")
    with pytest.raises(TaskError, match="stepper"):
        BatchedSwimmer(2, stepper="gpu")
    with pytest.raises(TaskError, match="now 'stepper'"):  # the old keyword, before the rename (#19)
        BatchedSwimmer(2, physics_backend="threads")


def test_importing_neuroworm_tasks_does_not_import_mujoco():
    code = (
        "import sys, neuroworm.tasks, gymnasium;"
        "assert 'neuroworm/Swimmer6-v0' in gymnasium.registry;"
        "heavy = [m for m in sys.modules if m == 'mujoco' or m.startswith('gymnasium.envs.mujoco')];"
        "assert not heavy, heavy"
    )
    repository_root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repository_root)


@pytest.mark.mujoco
def test_task_dimensions():
    from neuroworm.tasks import task_dimensions

    assert task_dimensions("Swimmer-v5") == (8, 2)
    assert task_dimensions("neuroworm/Swimmer6-v0") == (14, 5)
    assert task_dimensions("HalfCheetah-v5") == (17, 6)
    assert task_dimensions("CartPole-v1") == (4, 2)
    with pytest.raises(TaskError):
        task_dimensions("NoSuchEnv-v0")


def test_gymnasium_registry_carries_the_batched_entry_points():
    """One registry: gymnasium's specs say which batched class make_vec builds."""
    from neuroworm.tasks import BATCHED_ENV_IDS

    for env_id, entry_point in BATCHED_ENV_IDS.items():
        assert gymnasium.spec(env_id).vector_entry_point == entry_point
    assert gymnasium.spec("CartPole-v1").vector_entry_point is not None  # gymnasium's own: left alone
