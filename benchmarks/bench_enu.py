"""ENU unit-steps per second at the paper's sizes, and the FLOP rate that reaches.

Bertens & Lee (2019) evolve 1,024 offspring on one GPU.  This benchmark
times, for P = 1,024 offspring, ENUs with memory 32 and 16 channels:

* the IAF mimic: one ENU (1 input) in each of 32 environments;
* the STDP mimic: one ENU (4 inputs) in each of 32 environments;
* the T-maze network: 6 neurons x 8 synapses (54 ENUs) in each of 8 mazes;

and, side by side in the same run and with the same number of BLAS
threads, the machine's float32 matrix-product rate (one large
``numpy.matmul``), the ceiling for this workload.  A unit-step costs
``6·K·M + 2·M·C`` floating-point operations for the gate products of eq. (1)
(K gate inputs, M memory, C channels); element-wise work is not counted.
The fast path (:class:`~neuroworm.backends.enu.ENULayer`, which
:class:`~neuroworm.backends.enu.ENUNetwork` and the mimic tasks run, in
cache-sized blocks of offspring, with its compiled element-wise kernel where
that builds) is timed beside the same layer as one block of the whole
population, beside the layer with NumPy's element-wise passes
(``kernel="numpy"``, what runs on a GPU or where no compiler is found) and beside
:func:`~neuroworm.backends.enu.enu_step`, eq. (1) as written; for the single
ENU two bounds are timed on the same arrays: the step's four batched
products alone, and those products with the three ``tanh`` passes.
From the step time it prints the time per generation and the total for the
paper's 3,000 / 10,000 / 30,000 generations.  Timings interleave the
workloads with the reference product and keep each one's best, and with
NumPy they are this process's CPU time (one BLAS thread by default), so a
machine shared with other jobs slows neither side by time slicing; with
CuPy they are wall times after a device synchronisation.  It never fails.

Run::

    PYTHONPATH=. python benchmarks/bench_enu.py [--threads 1] [--repeats 5] [--xp cupy]
"""

import argparse
import time

import numpy as np

from neuroworm.backends.enu import ENULayer, ENUNetwork, ENUShape, enu_step
from neuroworm.control.enu_tmaze import tmaze_topology


def _synchronize(xp):
    if xp is not np:
        xp.cuda.Stream.null.synchronize()


def flops_per_unit_step(shape):
    """Gate products of one ENU step (multiply-add = 2 FLOPs)."""
    k, m, c = shape.gate_inputs, shape.memory_size, shape.n_outputs
    return 6 * k * m + 2 * m * c


def _genomes(size, population, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(size) * 0.2 + 0.01 * rng.standard_normal((population, size))


def _products(layer, with_tanh):
    """The layer's four batched products per block and nothing else (``with_tanh``: and the three tanh passes).

    A lower bound on the step's time: the rest of eq. (1) (gating, the memory update, the copies into
    the gate buffer, the clip) is element-wise work these leave out.  Reads the layer's block views.
    """
    xp = layer.xp

    def run():
        for _, w_update, w_reset, w_cell, w_output, gate_input, _, output, memory, update, reset, candidate \
                in layer._blocks:
            for weights, values in ((w_update, update), (w_reset, reset), (w_cell, candidate)):
                xp.matmul(weights, gate_input, out=values)
                if with_tanh:
                    xp.tanh(values, out=values)
            xp.matmul(w_output, memory, out=output)

    return run


def single_enu_workloads(n_inputs, population, environments, xp):
    """One ENU per environment: the fast layer (default blocks and one block), eq. (1) as written, and the bounds.

    Returns ``(workloads, units, flops)``: name -> callable of one step, unit-steps and FLOPs per unit-step.
    """
    shape = ENUShape(n_inputs, 32, 16)
    genomes = _genomes(shape.n_parameters, population)
    drive = xp.asarray(np.random.default_rng(1).random((population, n_inputs, environments)))
    layers = {}
    for name, block, kernel in (("fast", None, None), ("one_block", population, None), ("numpy", None, "numpy")):
        layers[name] = ENULayer(shape, population, environments, xp=xp, block=block, kernel=kernel)
        layers[name].set_genomes(genomes)
        layers[name].inputs[...] = drive
    gates = shape.unpack(genomes, xp=xp)
    state = [xp.zeros((population, environments, 32), np.float32), xp.zeros((population, environments, 16),
                                                                              np.float32)]
    inputs = xp.asarray(np.random.default_rng(1).random((population, environments, n_inputs), dtype=np.float32))

    def reference():
        state[0], state[1] = enu_step(gates, state[0], state[1], inputs, xp=xp)

    workloads = {"fast": layers["fast"].step, "one_block": layers["one_block"].step, "numpy": layers["numpy"].step,
                 "reference": reference,
                 "products": _products(layers["fast"], False), "products_tanh": _products(layers["fast"], True)}
    return workloads, population * environments, flops_per_unit_step(shape), layers["fast"].kernel


def tmaze_workload(population, environments, xp, block=None, kernel=None):
    """One step of the T-maze network (54 ENUs) in every maze of every offspring."""
    network = ENUNetwork(tmaze_topology(seed=0), 4, n_individuals=population, n_environments=environments,
                         output_noise=0.01, seed=0, xp=xp, block=block, kernel=kernel)
    network.set_genomes(_genomes(network.genome_size, population))
    drive = xp.asarray(np.random.default_rng(2).random((environments, 4, 16), dtype=np.float32))
    units = network.n_synapse_units + network.n_neuron_units
    flops = (network.n_synapse_units * flops_per_unit_step(network.synapse_shape)
             + network.n_neuron_units * flops_per_unit_step(network.neuron_shape)) / units
    return (lambda: network.step(drive)), population * units, flops, network.synapses.block


def best_times(workloads, repeats, xp, size=2048):
    """Best seconds of each workload and of an (n, n) @ (n, n) product, run interleaved."""
    a = xp.asarray(np.random.default_rng(0).random((size, size), dtype=np.float32))
    workloads = dict(workloads, matmul=lambda: a @ a)
    best = dict.fromkeys(workloads, np.inf)
    for function in workloads.values():
        function()  # warm-up
    clock = time.process_time if xp is np else time.perf_counter
    for _ in range(repeats):
        for name, function in workloads.items():
            _synchronize(xp)
            start = clock()
            function()
            _synchronize(xp)
            best[name] = min(best[name], clock() - start)
    return best, 2 * size**3 / best["matmul"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per workload (best kept)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for every row (default 1)")
    parser.add_argument("--xp", default="numpy", choices=["numpy", "cupy"], help="array module")
    args = parser.parse_args()
    xp = np
    if args.xp == "cupy":
        import cupy as xp
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads, user_api="blas"):
        population = args.population
        iaf, iaf_units, iaf_flops, kernel = single_enu_workloads(1, population, 32, xp)
        stdp, stdp_units, stdp_flops, _ = single_enu_workloads(4, population, 32, xp)
        tmaze_step, tmaze_units, tmaze_flops, tmaze_block = tmaze_workload(population, 8, xp)
        tmaze_whole, *_ = tmaze_workload(population, 8, xp, block=population)
        tmaze_numpy, *_, numpy_block = tmaze_workload(population, 8, xp, kernel="numpy")
        workloads = {f"{task}_{name}": function for task, named in (("iaf", iaf), ("stdp", stdp))
                     for name, function in named.items()}
        best, peak = best_times(dict(workloads, tmaze=tmaze_step, tmaze_one_block=tmaze_whole,
                                     tmaze_numpy=tmaze_numpy), args.repeats, xp)
    print(f"float32 matmul (2048^3): {peak / 1e9:.1f} GFLOP/s  (BLAS threads: {args.threads}, {args.xp}; "
          f"ENULayer's element-wise kernel: {kernel})")
    single = [("  one block (no cache blocking)", "one_block"), ("  NumPy's element-wise passes", "numpy"),
              ("  (eq. 1 as written, enu_step)", "reference"),
              ("  bound: the 4 products alone", "products"), ("  bound: products + 3 tanh passes", "products_tanh")]
    rows = []
    for task, label, units, flops, generations in (("iaf", "IAF mimic, 1 ENU x 32 envs", iaf_units, iaf_flops, 3000),
                                                   ("stdp", "STDP mimic, 1 ENU x 32 envs", stdp_units, stdp_flops,
                                                    10000)):
        rows.append((label, f"{task}_fast", 100, generations, units, flops))
        rows += [(text, f"{task}_{key}", 100, generations, units, flops) for text, key in single]
    rows += [(f"T-maze, 54 ENUs x 8 mazes ({tmaze_block}/block)", "tmaze", 400, 30000, tmaze_units, tmaze_flops),
             ("  one block (no cache blocking)", "tmaze_one_block", 400, 30000, tmaze_units, tmaze_flops),
             (f"  NumPy's passes ({numpy_block}/block)", "tmaze_numpy", 400, 30000, tmaze_units, tmaze_flops)]
    print(f"{f'workload (P = {population})':36s} {'ms/step':>9s} {'unit-steps/s':>13s} {'GFLOP/s':>8s} "
          f"{'of matmul':>9s} {'s/generation':>12s} {'paper total':>12s}")
    for label, key, steps_per_episode, generations, units, flops in rows:
        seconds = best[key]
        rate = units * flops / seconds
        per_generation = seconds * steps_per_episode
        print(f"{label:36s} {seconds * 1e3:9.1f} {units / seconds:13.3e} {rate / 1e9:8.2f} {rate / peak:9.1%} "
              f"{per_generation:12.1f} {per_generation * generations / 86400:9.1f} d")


if __name__ == "__main__":
    main()
