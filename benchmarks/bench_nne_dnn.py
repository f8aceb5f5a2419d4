"""NNE and DNN (Gorantla et al.) at the paper's sizes, beside the machine's matrix-product rate.

Prints, from one run:

* NNE: genotypes evaluated per second (N genotypes, n = 5,000 genes, the
  MNIST network of Sec. 3.1 with h = 1,000, 2,000 digits), on 1 and 2
  threads, the share of ``X Wᵀ`` (link weights), the implied seconds per
  generation at N = 1,000, and the multiply-adds it really does (the
  sparse first layer and the output layer) as a rate beside the dense
  float32 product rate measured in the same run on as many threads: on a
  shared machine the ratio is the number that travels.
* DNN: seconds for the frozen layer's activations of 5,000 digits and for
  one epoch of the dopaminergic rule on 2,000 digits, at h = 1,000 and
  h = 100,000, beside the dense product rate of the same shapes.

A population of ``--genotypes`` (default the paper's N = 1,000) is timed; the pixels each chunk of
hidden units reads are gathered once per call, so a smaller sample would overstate the cost per genotype.
NNE spreads genotype blocks over ``--threads`` Python threads with BLAS on
one thread each; the DNN runs BLAS on one thread.
Benchmarks print numbers; they never fail.

Run::

    PYTHONPATH=. heavy python benchmarks/bench_nne_dnn.py [--genotypes 200] [--threads 1 2] [--hidden 1000 100000]
"""

import argparse
import time

import numpy as np


def seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def dense_rate(threads):
    """GFLOP/s of a dense float32 ``2000 × 784`` by ``784 × 1000`` product on ``threads`` BLAS threads (best of 3)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(2)
    a, b = rng.random((2000, 784), dtype=np.float32), rng.random((784, 1000), dtype=np.float32)
    with threadpool_limits(threads):
        best = min(seconds(lambda: a @ b) for _ in range(3))
    return 2 * 2000 * 784 * 1000 / best / 1e9


def nne(genotypes, digits, threads):
    from threadpoolctl import threadpool_limits

    from neuroworm.backends.nne import NNENetwork

    rng = np.random.default_rng(0)
    network = NNENetwork(n_genes=5000, n_hidden=1000, threads=threads, seed=0)
    population = (rng.random((genotypes, 5000)) < 0.5).astype(np.float32)
    images = rng.random((digits, 784)).astype(np.float32) * (rng.random((digits, 784)) < 0.2)
    labels = rng.integers(0, 10, digits)
    with threadpool_limits(1):
        network.fitness(population[:4], images[:10], labels[:10])  # warm-up
        link = seconds(lambda: [network.link_weights(population[i : i + network.block])  # as the kernel does
                                for i in range(0, genotypes, network.block)])
        total = seconds(lambda: network.fitness(population, images, labels))
        sample = population[:32]  # the previous kernel: every genotype's input layer as a dense 784 x h matrix
        dense_path = seconds(lambda: [network.hidden_and_logits(network.link_weights(sample[i : i + 8]), images)
                                      for i in range(0, len(sample), 8)]) / len(sample)
    rate = dense_rate(threads)
    sparse_flops = 2 * digits * network.n_input_links + 2 * digits * 1000 * 10
    per_genotype = total / genotypes
    print(f"NNE  n=5000 h=1000 digits={digits}, {threads} thread(s): {network!r}")
    print(f"  {genotypes / total:8.2f} genotypes/s ({per_genotype * 1e3:.1f} ms each; X·Wᵀ {link / total:.0%} of it)")
    print(f"  one generation at N=1000: {1000 * per_genotype:.1f} s; the dense-layer kernel it replaces, same run: "
          f"{1000 * dense_path:.1f} s on one thread ({dense_path / per_genotype:.1f}x)")
    print(f"  dense float32 product on {threads} thread(s): {rate:.1f} GFLOP/s; NNE does {sparse_flops / 1e9:.3f} "
          f"GFLOP per genotype = {sparse_flops / per_genotype / 1e9:.1f} GFLOP/s effective, "
          f"{sparse_flops / per_genotype / 1e9 / rate:.0%} of the dense rate")
    return 1000 * per_genotype, rate


def dnn(hidden, train_digits=2000, all_digits=5000):
    from neuroworm.backends.dnn import DopaminergicNetwork

    rng = np.random.default_rng(1)
    images = rng.random((all_digits, 784), dtype=np.float32) * (rng.random((all_digits, 784)) < 0.2)
    labels = rng.integers(0, 10, train_digits)
    network = DopaminergicNetwork(hidden, reading="signed", output_firing="winner", seed=0)
    features_time = seconds(lambda: network.features(images))
    features = network.features(images[:train_digits])
    epoch = seconds(lambda: network.train_epoch(features, labels, seed=0))
    readout = rng.random((hidden, 10), dtype=np.float32)
    product = min(seconds(lambda: features @ readout) for _ in range(3))
    print(f"DNN  h={hidden:,}: activations of {all_digits} digits {features_time:.2f} s "
          f"({2 * all_digits * 784 * hidden / features_time / 1e9:.2f} GFLOP/s); one epoch on {train_digits} digits "
          f"{epoch:.3f} s = {1 / epoch:.2f} epochs/s; 500 epochs {500 * epoch / 60:.1f} min; "
          f"the epoch's forward product alone {product:.3f} s (epoch = {epoch / product:.1f}x it)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genotypes", type=int, default=1000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--digits", type=int, default=2000)
    parser.add_argument("--hidden", type=int, nargs="*", default=[1000, 100000])
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    for threads in args.threads:
        nne(args.genotypes, args.digits, threads)
    with threadpool_limits(1):
        for hidden in args.hidden:
            dnn(hidden)


if __name__ == "__main__":
    main()
