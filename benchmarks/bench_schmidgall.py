"""Seconds per ES epoch and per GA generation of Schmidgall et al. (2023), ALIF vs Izhikevich vs ReLU.

The paper's sizes (A.3): an ES pre-training epoch evaluates P = 200
individuals, a GA generation P = 750, each for one 1000-step episode. For
each neuron model (ALIF and Izhikevich on the NumPy reference backend,
which gives Brian2's returns bit for bit; ReLU on its own backend) this
measures, side by side in one run:

1. **closed loop**: :class:`neuroworm.control.evaluator.ClosedLoopEvaluator`
   evaluating the population (built and warmed up first; the build is not
   timed), with the model's K (4 ALIF, 10 Izhikevich, 1 ReLU);
2. **physics alone**: the same batched MuJoCo bodies replaying the actions
   that closed loop took (same reset seeds), no network: the floor;

then prints the network's share, and the wall time a paper-scale Figure 3
implies: per model, task and seed, ``es_epochs`` ES epochs and
``ga_generations`` GA generations, × 2 tasks × ``seeds`` seeds (the physics
of ``neuroworm/Swimmer6-v0`` is timed with the same code when ``--task`` names it).

On a busy machine, measure part of an episode and extrapolate:
``--steps-fraction 0.1`` runs the full populations for 100 steps and scales
the times by 10 (the cost per step is constant after the first steps).
``--population-fraction`` also shrinks P, which overestimates the time: the
per-step Python overhead is shared by fewer bodies. Benchmarks never fail
on time.

Usage::

    python benchmarks/bench_schmidgall.py                     # P = 200 and 750, 1000 steps (minutes per model)
    nice -n 10 python benchmarks/bench_schmidgall.py --steps-fraction 0.1
"""

import argparse
import time

PAPER = {"es_population": 200, "ga_population": 750, "episode_steps": 1000, "es_epochs": 1000}


def _circuit():
    from neuroworm.connectome import load_connectome, locomotion_circuit

    return locomotion_circuit(load_connectome("cook2019_hermaphrodite"))


def _closed_loop(circuit, model, task, population, steps):
    """Seconds of one closed-loop evaluation of ``population`` genomes, and the actions taken."""
    from neuroworm.control.evaluator import ClosedLoopEvaluator
    from neuroworm.papers.schmidgall2023 import BACKEND_OF_MODEL

    evaluator = ClosedLoopEvaluator(circuit, model, task, backend=BACKEND_OF_MODEL[model], episode_steps=steps)
    genomes = evaluator.layout.random(population, seed=0, weight_noise=0.2)
    seeds = list(range(population))
    evaluator.episode_steps = 2  # build the network and the bodies for this P, untimed
    evaluator(genomes, seeds=seeds)
    evaluator.episode_steps = steps
    started = time.perf_counter()  # timed with a record (observations, actions, one cell's spikes): ~1 % more
    _, record = evaluator.rollout(genomes, seeds=seeds, record=[circuit.outputs[0]])
    seconds = time.perf_counter() - started
    evaluator.close()
    return seconds, record.actions


def _physics(task, actions, seeds):
    """Seconds of the batched bodies stepping through ``actions`` (E, P, n_actions)."""
    from neuroworm.tasks import make_vec

    envs = make_vec(task, actions.shape[1])
    envs.reset(seed=list(seeds))
    started = time.perf_counter()
    for action in actions:
        envs.step(action)
    seconds = time.perf_counter() - started
    envs.close()
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps-fraction", type=float, default=1.0,
                        help="run this fraction of the 1000-step episode and scale the times up")
    parser.add_argument("--population-fraction", type=float, default=1.0,
                        help="run this fraction of P and scale up (overestimates: fixed per-step overhead)")
    parser.add_argument("--models", nargs="+", default=["alif", "izhikevich", "relu"])
    parser.add_argument("--tasks", nargs="+", default=["Swimmer-v5", "neuroworm/Swimmer6-v0"])
    parser.add_argument("--ga-generations", type=int, default=100, help="GA generations of a paper-scale run (ours)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    import neuroworm.tasks  # noqa: F401

    circuit = _circuit()
    steps = max(1, round(PAPER["episode_steps"] * args.steps_fraction))
    print(f"paper sizes: ES P={PAPER['es_population']}, GA P={PAPER['ga_population']}, {PAPER['episode_steps']} steps; "
          f"measured {steps} steps at {args.population_fraction:g} of P, times scaled to the paper's sizes")
    print(f"{'task':<24}{'model':<12}{'stage':<6}{'P':>5}{'closed loop s':>15}{'physics s':>11}{'network share':>15}")
    totals = {}
    for task in args.tasks:
        for model in args.models:
            per_stage = {}
            for stage, population in (("ES", PAPER["es_population"]), ("GA", PAPER["ga_population"])):
                measured_population = max(2, round(population * args.population_fraction))
                loop, actions = _closed_loop(circuit, model, task, measured_population, steps)
                physics = _physics(task, actions, range(measured_population))
                scale = population * PAPER["episode_steps"] / (measured_population * steps)
                loop, physics = loop * scale, physics * scale
                per_stage[stage] = loop
                print(f"{task:<24}{model:<12}{stage:<6}{population:>5}{loop:>15.1f}{physics:>11.1f}"
                      f"{(loop - physics) / loop:>14.0%}")
            run = PAPER["es_epochs"] * per_stage["ES"] + args.ga_generations * per_stage["GA"]
            totals[(task, model)] = run
            print(f"{'':<24}{model:<12}one paper-scale run: {run / 3600:.1f} h "
                  f"({PAPER['es_epochs']} ES epochs + {args.ga_generations} GA generations)")
    total = sum(totals.values()) * args.seeds
    print(f"\nFigure 3 at paper scale ({len(args.models)} models x {len(args.tasks)} tasks x {args.seeds} seeds): "
          f"{total / 3600:.0f} h = {total / 86400:.1f} days on this machine (held-out evaluations not included)")


if __name__ == "__main__":
    main()
