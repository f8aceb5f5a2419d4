"""NNE and DNN (Gorantla et al.) at the paper's sizes, beside the machine's matrix-product rate.

Prints, from one run:

* NNE: genotypes evaluated per second (N genotypes, n = 5,000 genes, the
  MNIST network of Sec. 3.1 with h = 1,000, 2,000 digits), split into
  ``X Wᵀ`` (link weights) and the forward pass, beside a dense float32
  product of the same multiply-add count as the sparse first layer would
  need densely (``2,000 × 784 × h`` per genotype) and the sparse count it
  really does; and the implied seconds per generation at N = 1,000.
* DNN: seconds for the frozen layer's activations of 5,000 digits and for
  one epoch of the dopaminergic rule on 2,000 digits, at h = 1,000 and
  h = 100,000, beside the dense product rate of the same shapes.

A sample of genotypes is timed (``--genotypes``) and scaled to N = 1,000.
BLAS runs on one thread (fastest on a shared two-core machine).
Benchmarks print numbers; they never fail.

Run::

    PYTHONPATH=. python benchmarks/bench_nne_dnn.py [--genotypes 32] [--hidden 1000 100000]
"""

import argparse
import time

import numpy as np


def seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def nne(genotypes, digits):
    from neuroworm.backends.nne import NNENetwork

    rng = np.random.default_rng(0)
    network = NNENetwork(n_genes=5000, n_hidden=1000, seed=0)
    population = (rng.random((genotypes, 5000)) < 0.5).astype(np.float32)
    images = rng.random((digits, 784)).astype(np.float32) * (rng.random((digits, 784)) < 0.2)
    labels = rng.integers(0, 10, digits)
    network.link_weights(population[:2])  # warm-up
    link = seconds(lambda: network.link_weights(population))
    total = seconds(lambda: network.fitness(population, images, labels))
    dense_a = rng.random((digits, 784), dtype=np.float32)
    dense_b = rng.random((784, 1000), dtype=np.float32)
    dense = min(seconds(lambda: dense_a @ dense_b) for _ in range(3))
    dense_rate = 2 * digits * 784 * 1000 / dense
    sparse_flops = 2 * digits * network.n_input_links + 2 * digits * 1000 * 10
    per_genotype = total / genotypes
    print(f"NNE  n=5000 h=1000 digits={digits}: {network!r}")
    print(f"  {genotypes / total:8.2f} genotypes/s ({per_genotype * 1e3:.1f} ms each; X·Wᵀ {link / total:.0%} of it)")
    print(f"  one generation at N=1000: {1000 * per_genotype:.1f} s")
    print(f"  dense float32 product of one genotype's first layer ({digits}x784x1000): {dense * 1e3:.1f} ms "
          f"= {dense_rate / 1e9:.2f} GFLOP/s; ours does {sparse_flops / 1e9:.3f} GFLOP per genotype "
          f"= {sparse_flops / per_genotype / 1e9:.2f} GFLOP/s effective, "
          f"{dense / per_genotype:.2f}x the dense product's speed per genotype")


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
    parser.add_argument("--genotypes", type=int, default=32)
    parser.add_argument("--digits", type=int, default=2000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[1000, 100000])
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        nne(args.genotypes, args.digits)
        for hidden in args.hidden:
            dnn(hidden)


if __name__ == "__main__":
    main()
