"""Steps per second of P MuJoCo Swimmers: gymnasium's SyncVectorEnv against neuroworm's batched env.

Prints, measured side by side in one run, the body-steps per second, the
seconds per 1000-step generation, and the speed-up over gymnasium of:

* ``gymnasium.make_vec("Swimmer-v5", P, vectorization_mode="sync")``;
* :class:`neuroworm.tasks.BatchedSwimmer` on 1 and 2 threads, with each
  physics stepper: ``"threads"`` (a thread pool over P ``MjData``) and, where
  the installed MuJoCo has it, ``"batch"`` (``mujoco.batch``);
* for reference, bare ``mujoco.rollout`` physics on 1 and 2 threads, without
  observations or rewards (it restarts each step from a
  ``mjSTATE_FULLPHYSICS`` vector and so drops the solver warm start: it is
  not exact, see ``neuroworm.tasks.physics``).

Actions are a closed-loop policy (tanh of a fixed random linear map of the
observations).  Benchmarks never fail on time.

Usage::

    python benchmarks/bench_physics.py --population 750 --steps 1000 --repeats 3
"""

import argparse
import time

import numpy as np


def _policy(n_observations, n_actions, seed=0):
    weights = np.random.default_rng(seed).normal(scale=0.5, size=(n_observations, n_actions))
    return lambda observations: np.tanh(observations @ weights)


def time_vector_env(envs, n_steps, seed=0):
    """Seconds to run ``n_steps`` closed-loop steps of a vector env (reset excluded)."""
    observations, _ = envs.reset(seed=seed)
    policy = _policy(envs.single_observation_space.shape[0], envs.single_action_space.shape[0])
    start = time.perf_counter()
    for _ in range(n_steps):
        observations = envs.step(policy(observations))[0]
    elapsed = time.perf_counter() - start
    envs.close()
    return elapsed


def time_rollout(population, n_steps, n_threads, frame_skip=4):
    """Seconds for ``n_steps`` steps of bare ``mujoco.rollout`` physics (no warm start)."""
    import mujoco
    from mujoco import rollout

    from neuroworm.tasks import BatchedSwimmer

    envs = BatchedSwimmer(population, num_threads=1, stepper="threads")
    envs.reset(seed=0)
    model = envs.model
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    states = np.empty((population, mujoco.mj_stateSize(model, spec)))
    for body_id, data in enumerate(envs.physics.datas):
        mujoco.mj_getState(model, data, states[body_id], spec)
    datas = [mujoco.MjData(model) for _ in range(n_threads)]
    qpos = slice(1, 1 + model.nq)  # state layout: time, qpos, qvel, ...
    qvel = slice(1 + model.nq, 1 + model.nq + model.nv)
    policy = _policy(envs.single_observation_space.shape[0], model.nu)
    with rollout.Rollout(nthread=n_threads if n_threads > 1 else 0) as pool:
        start = time.perf_counter()
        for _ in range(n_steps):
            observations = np.concatenate([states[:, qpos][:, 2:], states[:, qvel]], axis=1)
            controls = np.repeat(policy(observations)[:, None, :], frame_skip, axis=1)
            trajectory, _ = pool.rollout(model, datas, states, controls)
            states = trajectory[:, -1, :]
        elapsed = time.perf_counter() - start
    envs.close()
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=750, help="number of bodies P")
    parser.add_argument("--steps", type=int, default=1000, help="environment steps timed")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best time of each row is kept")
    args = parser.parse_args(argv)

    import gymnasium

    from neuroworm.tasks import BatchedSwimmer
    from neuroworm.tasks.physics import has_mujoco_batch

    population, n_steps = args.population, args.steps
    runs = {
        "gymnasium SyncVectorEnv": lambda: time_vector_env(
            gymnasium.make_vec("Swimmer-v5", population, vectorization_mode="sync"), n_steps
        )
    }
    backends = ["threads", "batch"] if has_mujoco_batch() else ["threads"]
    for backend in backends:
        for n_threads in (1, 2):
            runs[f"BatchedSwimmer, {backend}, {n_threads} thread{'s' * (n_threads > 1)}"] = (
                lambda backend=backend, n_threads=n_threads: time_vector_env(
                    BatchedSwimmer(population, num_threads=n_threads, stepper=backend), n_steps
                )
            )
    for n_threads in (1, 2):
        runs[f"bare mujoco.rollout, {n_threads} thread{'s' * (n_threads > 1)} (inexact)"] = (
            lambda n_threads=n_threads: time_rollout(population, n_steps, n_threads)
        )
    print(
        f"Swimmer-v5, P = {population} bodies, {n_steps} closed-loop steps timed, best of {args.repeats} rounds"
    )
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeats):  # interleaved rounds, so that load from elsewhere hits every row alike
        for name, run in runs.items():
            best[name] = min(best[name], run())
    print(f"{'':42s} {'body-steps/s':>13s} {'s/generation':>13s} {'vs gymnasium':>13s}")
    baseline = best["gymnasium SyncVectorEnv"] / n_steps * 1000
    for name, elapsed in best.items():
        seconds_per_generation = elapsed / n_steps * 1000
        print(
            f"{name:42s} {population * n_steps / elapsed:13,.0f} "
            f"{seconds_per_generation:13.2f} {baseline / seconds_per_generation:12.2f}x"
        )


if __name__ == "__main__":
    main()
