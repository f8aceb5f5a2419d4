"""Seconds per generation of closed-loop evaluation, against the physics alone.

One generation of the paper's setting: P = 750 individuals of the C. elegans
locomotion circuit (ALIF neurons) each swimming one 1000-step episode of
``Swimmer-v5``. Measured side by side in one run, each stage in its own
process (so that its peak memory is its own):

1. **physics alone**: the same number of batched MuJoCo steps with the same
   threading, random actions, no network: the limit; and again replaying the
   actions the Brian2 closed loop (K = 4) actually took, because MuJoCo's cost
   depends on the motion (coherent swimming strokes that reach the joint
   limits cost about 30 % more per step than uniform random actions);
2. **Brian2, batched**: :class:`neuroworm.control.ClosedLoopEvaluator`
   (one network of P copies, one ``run()`` per episode, one
   ``NetworkOperation`` per environment step) at K = 1, 4, 10 neural steps
   per environment step;
3. **NumPy reference, batched**: the same loop on
   :class:`neuroworm.backends.ReferenceNetwork`;
3b. **Brian2, two processes**: the population split in two halves, each a
   batched closed loop in its own process with one physics thread, run at the
   same time — what ``neuroworm.evolve.run(..., map="process", workers=2,
   batch_size=P // 2)`` does each generation. Brian2's runtime code is
   single-threaded, so this is how its simulation uses the second core;
4. **naive Brian2**: what a Brian2 user would write first: one network and
   one ``gymnasium.make`` environment per individual, a ``SpikeMonitor``,
   and one ``Network.run`` per environment step; timed on a small sample of
   individuals and steps (building included) and extrapolated to P × E.

Each evaluator is built and warmed up (one short episode) before it is
timed; the build time is printed apart. Peak memory is each stage process's
``ru_maxrss``. Benchmarks never fail on time.

Usage::

    python benchmarks/bench_generation.py                              # P = 750, 1000 steps
    python benchmarks/bench_generation.py --population 750 --episode-steps 50
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def _circuit():
    from neuroworm.connectome import load_connectome, locomotion_circuit

    return locomotion_circuit(load_connectome("cook2019_hermaphrodite"))


def _peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def stage_physics(args, replay=None):
    from neuroworm.tasks import make_vec

    envs = make_vec(args.task, args.population)
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    low, high = envs.single_action_space.low, envs.single_action_space.high
    if replay is None:
        actions = rng.uniform(low, high, size=(args.episode_steps, args.population, len(low)))
    else:
        actions = np.load(replay)
    start = time.perf_counter()
    for step in range(args.episode_steps):
        envs.step(actions[step])
    elapsed = time.perf_counter() - start
    envs.close()
    return {"seconds": elapsed, "build": 0.0}


def stage_closed_loop(args, backend, K):
    from neuroworm.control import ClosedLoopEvaluator

    start = time.perf_counter()
    evaluator = ClosedLoopEvaluator(_circuit(), args.model, args.task, backend=backend, episode_steps=2,
                                    neural_steps_per_env_step=K, seed=0, codegen=args.codegen)
    genomes = evaluator.layout.random(args.population, seed=1)
    evaluator(genomes)  # builds (and compiles, if not cached) the network and the environments
    build = time.perf_counter() - start
    evaluator.episode_steps = args.episode_steps
    start = time.perf_counter()
    returns = evaluator(genomes)
    elapsed = time.perf_counter() - start
    result = {"seconds": elapsed, "build": build, "failed": int(np.sum(~np.isfinite(returns))),
              "peak_mb": _peak_memory_mb()}  # before the recorded episode below, which keeps more
    if args.save_actions:  # an untimed second episode, identical to the timed one, that keeps its actions
        _, record = evaluator.rollout(genomes, record=())
        np.save(args.save_actions, record.actions)
    if args.profile and backend == "brian2":
        result["profile"] = _profile_brian(evaluator, genomes)
    return result


def _half_worker(connection, args, K, part):
    """One half of the population in its own process; times one episode when told to go."""
    from neuroworm.control import ClosedLoopEvaluator

    evaluator = ClosedLoopEvaluator(_circuit(), args.model, args.task, backend="brian2", episode_steps=2,
                                    neural_steps_per_env_step=K, seed=0, codegen=args.codegen,
                                    env_kwargs={"num_threads": 1})
    half = args.population // 2
    genomes = evaluator.layout.random(args.population, seed=1)[part * half:(part + 1) * half]
    evaluator(genomes)  # build and warm up
    evaluator.episode_steps = args.episode_steps
    connection.send("ready")
    connection.recv()
    returns = evaluator(genomes)
    connection.send(int(np.sum(~np.isfinite(returns))))


def stage_two_processes(args, K):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    connections, processes = [], []
    for part in range(2):
        parent, child = context.Pipe()
        process = context.Process(target=_half_worker, args=(child, args, K, part))
        process.start()
        connections.append(parent)
        processes.append(process)
    for connection in connections:
        connection.recv()
    build = time.perf_counter() - start
    start = time.perf_counter()
    for connection in connections:
        connection.send("go")
    failed = sum(connection.recv() for connection in connections)
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {"seconds": elapsed, "build": build, "failed": failed, "children_peak_mb": children}


def _profile_brian(evaluator, genomes):
    """Where the time of one Brian2 episode goes: code objects, physics, controller."""
    import brian2

    envs = evaluator._envs
    controller = evaluator.controller
    spent = {"physics (envs.step)": 0.0, "encode": 0.0, "decode": 0.0}

    def timed(function, key):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - start
        return wrapper

    envs.step = timed(envs.step, "physics (envs.step)")
    controller.encode = timed(controller.encode, "encode")
    controller.decode = timed(controller.decode, "decode")
    network = evaluator._network.network
    original_run = network.run
    network.run = lambda *a, **k: original_run(*a, profile=True, **k)
    start = time.perf_counter()
    evaluator(genomes)
    total = time.perf_counter() - start
    network.run = original_run
    profile = {name: float(seconds) for name, seconds in network.profiling_info}
    profile.update(spent)
    profile["total"] = total
    del brian2
    return profile


def stage_naive(args, K):
    """One Brian2 network and one gymnasium env per individual; one run() per env step."""
    import brian2
    import gymnasium

    from neuroworm.brian import build_network
    from neuroworm.control import Controller
    from neuroworm.genome import GenomeLayout

    circuit = _circuit()
    probe = gymnasium.make(args.task)
    layout = GenomeLayout(circuit, args.model, probe.observation_space.shape[0], probe.action_space.shape[0])
    genomes = layout.random(args.naive_sample, seed=1)
    outputs = circuit.output_index
    # warm-up: compile (or load) the code objects once, outside the timing
    warm = build_network(circuit, args.model, 1, genomes[0], layout=layout, codegen=args.codegen)
    warm.network.add(brian2.SpikeMonitor(warm.neurons, name="spikes", codeobj_class=warm.neurons.codeobj_class))
    warm.network.run(K * warm.dt, namespace={})
    start = time.perf_counter()
    for k in range(args.naive_sample):
        network = build_network(circuit, args.model, 1, genomes[k], layout=layout, codegen=args.codegen)
        monitor = brian2.SpikeMonitor(network.neurons, name="spikes", codeobj_class=network.neurons.codeobj_class)
        network.network.add(monitor)
        controller = Controller(layout, probe.action_space.low, probe.action_space.high, K)
        controller.load(genomes[k])
        env = gymnasium.make(args.task)
        observation, _ = env.reset(seed=0)
        seen = 0
        for _ in range(args.naive_steps):
            network.set_input_current(controller.encode(observation[None, :]))
            network.network.run(K * network.dt, namespace={})
            indices = np.asarray(monitor.i[seen:])
            seen = monitor.num_spikes
            counts = np.bincount(indices, minlength=circuit.n_neurons)[outputs][None, :]
            observation = env.step(controller.decode(counts)[0])[0]
        env.close()
    elapsed = time.perf_counter() - start
    scale = (args.population / args.naive_sample) * (args.episode_steps / args.naive_steps)
    return {"seconds": elapsed * scale, "build": 0.0, "measured": elapsed,
            "sample": f"{args.naive_sample} individuals x {args.naive_steps} steps"}


def run_stage(args):
    name = args.stage
    if name == "physics":
        result = stage_physics(args)
    elif name == "physics-replay":
        result = stage_physics(args, replay=args.save_actions)
    elif name.startswith("naive"):
        result = stage_naive(args, int(name.split(":")[1]))
    elif name.startswith("two-processes"):
        result = stage_two_processes(args, int(name.split(":")[1]))
    else:
        backend, K = name.split(":")
        result = stage_closed_loop(args, backend, int(K))
    result.setdefault("peak_mb", _peak_memory_mb())
    print(json.dumps(result))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=750)
    parser.add_argument("--episode-steps", type=int, default=1000)
    parser.add_argument("--neural-steps", default="1,4,10", help="K values, comma-separated")
    parser.add_argument("--model", default="alif")
    parser.add_argument("--task", default="Swimmer-v5")
    parser.add_argument("--codegen", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--naive-sample", type=int, default=3, help="individuals timed in the naive way")
    parser.add_argument("--naive-steps", type=int, default=20, help="environment steps timed in the naive way")
    parser.add_argument("--skip", default="", help="comma-separated stages to skip: reference, naive, two-processes")
    parser.add_argument("--profile", action="store_true", help="print where a Brian2 episode spends its time")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--save-actions", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        return run_stage(args)

    Ks = [int(k) for k in args.neural_steps.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    stages = [("physics alone (no network)", "physics")]
    stages += [(f"Brian2 batched, K={K}", f"brian2:{K}") for K in Ks]
    if "two-processes" not in skip:
        stages += [(f"Brian2 batched, 2 processes x P/2, K={K}", f"two-processes:{K}") for K in Ks if K == 4]
    if "reference" not in skip:
        stages += [(f"NumPy reference batched, K={K}", f"reference:{K}") for K in Ks]
    if "naive" not in skip:
        stages += [(f"naive Brian2 (per individual), K={K}", f"naive:{K}") for K in Ks if K == 4] or \
                  [(f"naive Brian2 (per individual), K={Ks[0]}", f"naive:{Ks[0]}")]
    print(f"one generation: P = {args.population}, {args.episode_steps} environment steps of {args.task}, "
          f"{args.model}, codegen {args.codegen}")
    forwarded = [f"--population={args.population}", f"--episode-steps={args.episode_steps}",
                 f"--model={args.model}", f"--task={args.task}", f"--codegen={args.codegen}",
                 f"--naive-sample={args.naive_sample}", f"--naive-steps={args.naive_steps}"]
    if args.profile:
        forwarded.append("--profile")
    replay_label = "physics alone, replaying the K=4 loop's actions"
    if "brian2:4" in [stage for _, stage in stages]:
        position = [stage for _, stage in stages].index("brian2:4") + 1
        stages.insert(position, (replay_label, "physics-replay"))
    workspace = tempfile.mkdtemp(prefix="bench_generation_")
    actions_file = os.path.join(workspace, "actions.npy")
    results = {}
    for label, stage in stages:
        extra = [f"--save-actions={actions_file}"] if stage in ("brian2:4", "physics-replay") else []
        completed = subprocess.run([sys.executable, __file__, f"--stage={stage}", *forwarded, *extra], check=False,
                                   capture_output=True, text=True)
        if completed.returncode != 0:
            print(f"{label}: failed\n{completed.stderr[-2000:]}")
            continue
        results[label] = json.loads(completed.stdout.strip().splitlines()[-1])
    physics = results.get("physics alone (no network)", {}).get("seconds")
    print(f"{'':44s} {'s/generation':>13s} {'x physics':>10s} {'build s':>8s} {'peak MB':>8s}")
    for label, result in results.items():
        ratio = result["seconds"] / physics if physics else float("nan")
        note = f"  (extrapolated from {result['sample']}: {result['measured']:.2f} s)" if "sample" in result else ""
        failed = f"  ({result['failed']} failed)" if result.get("failed") else ""
        if "children_peak_mb" in result:
            note += f"  (each of the 2 processes peaks at up to {result['children_peak_mb']:.0f} MB)"
        print(f"{label:44s} {result['seconds']:13.2f} {ratio:10.2f} {result['build']:8.2f} "
              f"{result['peak_mb']:8.0f}{note}{failed}")
    shutil.rmtree(workspace, ignore_errors=True)
    brian4 = results.get("Brian2 batched, K=4", {}).get("seconds")
    replayed = results.get(replay_label, {}).get("seconds")
    if brian4 and replayed:
        print(f"Brian2 batched (K=4) is {brian4 / replayed:.2f}x the physics of the same strokes")
    naive4 = next((r["seconds"] for label, r in results.items() if label.startswith("naive")), None)
    if brian4 and naive4:
        print(f"Brian2 batched (K=4) is {naive4 / brian4:.0f}x faster than the naive way")
    for label, result in results.items():
        if "profile" in result:
            print(f"\nprofile of {label} (one episode, seconds):")
            for name, seconds in sorted(result["profile"].items(), key=lambda item: -item[1]):
                print(f"  {name:40s} {seconds:8.3f}")


if __name__ == "__main__":
    main()
