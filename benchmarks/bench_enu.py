"""ENU unit-steps per second at the paper's sizes, and the FLOP rate that reaches.

Bertens & Lee (2019) evolve 1,024 offspring on one GPU.  This benchmark
times, for P = 1,024 offspring, ENUs with memory 32 and 16 channels:

* the IAF mimic: one ENU (1 input) in each of 32 environments;
* the STDP mimic: one ENU (4 inputs) in each of 32 environments;
* the T-maze network: 6 neurons x 8 synapses (54 ENUs) in each of 8 mazes;

and, side by side in the same run, the machine's float32 matrix-product
rate (one large ``numpy.matmul``), the ceiling for this workload.  A
unit-step costs ``6·K·M + 2·M·C`` floating-point operations for the three
gate products (K gate inputs, M memory, C channels); element-wise work is
not counted.  From the step time it prints the time per generation and the
total for the paper's 3,000 / 10,000 / 30,000 generations.  It never fails.

Run::

    PYTHONPATH=. python benchmarks/bench_enu.py [--threads 1] [--steps 3]
"""

import argparse
import time

import numpy as np

from neuroworm.backends.enu import ENUNetwork, ENUShape, enu_step
from neuroworm.control.enu_tmaze import tmaze_topology


def matmul_rate(size=2048, repeats=3):
    """Best float32 FLOP/s of an (n, n) @ (n, n) product."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def flops_per_unit_step(shape):
    """Gate products of one ENU step (multiply-add = 2 FLOPs)."""
    k, m, c = shape.gate_inputs, shape.memory_size, shape.n_outputs
    return 6 * k * m + 2 * m * c


def time_single_enu(n_inputs, population, environments, steps):
    shape = ENUShape(n_inputs, 32, 16)
    gates = shape.unpack(np.stack([shape.initial_genome(seed=i) for i in range(population)]))
    memory = np.zeros((population, environments, 32), np.float32)
    output = np.zeros((population, environments, 16), np.float32)
    inputs = np.random.default_rng(0).random((population, environments, n_inputs), dtype=np.float32)
    memory, output = enu_step(gates, memory, output, inputs)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        memory, output = enu_step(gates, memory, output, inputs)
    seconds = (time.perf_counter() - start) / steps
    return seconds, population * environments, flops_per_unit_step(shape)


def time_tmaze_network(population, environments, steps):
    network = ENUNetwork(tmaze_topology(seed=0), 4, n_individuals=population, n_environments=environments,
                         output_noise=0.01, seed=0)
    genome = network.initial_genome(seed=0)
    network.set_genomes(genome + 0.01 * np.random.default_rng(1).standard_normal((population, genome.size)))
    drive = np.random.default_rng(2).random((environments, 4, 16), dtype=np.float32)
    network.step(drive)
    start = time.perf_counter()
    for _ in range(steps):
        network.step(drive)
    seconds = (time.perf_counter() - start) / steps
    units = network.n_synapse_units + network.n_neuron_units
    flops = (network.n_synapse_units * flops_per_unit_step(network.synapse_shape)
             + network.n_neuron_units * flops_per_unit_step(network.neuron_shape)) / units
    return seconds, population * units, flops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per workload")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's)")
    args = parser.parse_args()
    limit = None
    if args.threads:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=args.threads, user_api="blas")
    peak = matmul_rate()
    print(f"float32 matmul (2048^3): {peak / 1e9:.1f} GFLOP/s  (BLAS threads: {args.threads or 'default'})")
    rows = [
        ("IAF mimic, 1 ENU x 32 envs", 100, 3000, time_single_enu(1, args.population, 32, args.steps)),
        ("STDP mimic, 1 ENU x 32 envs", 100, 10000, time_single_enu(4, args.population, 32, args.steps)),
        ("T-maze, 54 ENUs x 8 mazes", 400, 30000, time_tmaze_network(args.population, 8, args.steps)),
    ]
    print(f"{f'workload (P = {args.population})':34s} {'ms/step':>9s} {'unit-steps/s':>13s} {'GFLOP/s':>8s} "
          f"{'of matmul':>9s} {'s/generation':>12s} {'paper total':>12s}")
    for name, steps_per_episode, generations, (seconds, units, flops) in rows:
        rate = units * flops / seconds
        per_generation = seconds * steps_per_episode
        print(f"{name:34s} {seconds * 1e3:9.1f} {units / seconds:13.3e} {rate / 1e9:8.2f} {rate / peak:9.1%} "
              f"{per_generation:12.1f} {per_generation * generations / 86400:9.1f} d")
    if limit is not None:
        limit.restore_original_limits()


if __name__ == "__main__":
    main()
