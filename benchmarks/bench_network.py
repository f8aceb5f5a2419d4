"""Speed of a population of spiking locomotion circuits: batched Brian2 vs NumPy vs one network each.

Run: ``python benchmarks/bench_network.py [--individuals 750] [--steps 200] [--sample 3] [--model alif]``.

Prints, for P copies of the C. elegans locomotion circuit (Schmidgall et al.
2023 use P = 750):

- build time of the batched Brian2 network;
- Cython compile time, cold (empty cache directory) and cached;
- µs per simulated step and neuron-updates per second for the batched
  Brian2 network (Cython; through ``run(drive)``, which feeds the drive from
  Python each step and records spikes, and through a bare
  ``network.run`` with constant input), the NumPy reference, and P separately built
  Brian2 networks (timed on ``--sample`` of them, extrapolated to P);
- peak resident memory of the process after each stage.

Ratios are measured side by side in one run; benchmarks never fail a build.
"""

import argparse
import resource
import tempfile
import time

import numpy as np


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_run(network, drive):
    start = time.perf_counter()
    network.run(drive)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--individuals", type=int, default=750)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--sample", type=int, default=3, help="separately built networks actually timed")
    parser.add_argument("--model", default="alif")
    args = parser.parse_args()

    import brian2

    from neuroworm import load_connectome, locomotion_circuit
    from neuroworm.backends.reference import ReferenceNetwork
    from neuroworm.brian import build_network
    from neuroworm.genome import GenomeLayout

    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    P, T, N = args.individuals, args.steps, circuit.n_neurons
    genomes = GenomeLayout(circuit, args.model).random(P, seed=0, weight_noise=0.3)
    drive = np.random.default_rng(0).uniform(0, 0.6, (T, P, len(circuit.inputs)))
    print(f"{circuit!r}; model {args.model}; P = {P}; {T} steps; {P * N} neurons, "
          f"{P * circuit.n_chemical} synapses, {2 * P * circuit.n_electrical} gap-junction synapses")
    rows = []

    with tempfile.TemporaryDirectory() as cache:
        brian2.prefs.codegen.runtime.cython.cache_dir = cache
        start = time.perf_counter()
        batched = build_network(circuit, args.model, P, genomes, codegen="cython")
        build = time.perf_counter() - start
        cold = timed_run(batched, drive[:1])  # compiles every code object
        again = build_network(circuit, args.model, P, genomes, codegen="cython")
        cached = timed_run(again, drive[:1])
        print(f"build {build:.2f} s; first step incl. compile: cold {cold:.1f} s, cached {cached:.2f} s; "
              f"peak memory {peak_memory_mb():.0f} MB")
        seconds = timed_run(batched, drive)
        rows.append(("Brian2 batched (cython), run(drive) + monitor", seconds))
        batched.set_input_current(drive[0])
        batched.network.run(batched.dt)
        start = time.perf_counter()
        batched.network.run(T * batched.dt)
        rows.append(("Brian2 batched (cython), network.run", time.perf_counter() - start))
        del again

    reference = ReferenceNetwork(circuit, args.model, P, genomes)
    rows.append(("NumPy reference", timed_run(reference, drive)))
    print(f"peak memory after reference {peak_memory_mb():.0f} MB")

    sample = min(args.sample, P)
    total = 0.0
    for k in range(sample):
        single = build_network(circuit, args.model, 1, genomes[k], codegen="cython")
        single.run(drive[:1, k:k + 1])  # warm up (load compiled code)
        total += timed_run(single, drive[:, k:k + 1])
    rows.append((f"{P} separate Brian2 networks (from {sample})", total / sample * P))

    base = rows[0][1]
    print(f"{'backend':<44} {'µs/step':>12} {'neuron-updates/s':>18} {'vs batched':>11}")
    for label, seconds in rows:
        print(f"{label:<44} {seconds / T * 1e6:12.1f} {P * N * T / seconds:18.3e} {seconds / base:10.2f}×")
    print(f"peak memory {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
