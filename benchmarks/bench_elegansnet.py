"""Training speed of ElegansNet's tensor network and an equal-parameter MLP, beside raw matrix products.

Run: ``python benchmarks/bench_elegansnet.py [--channels 4] [--batch-size 64] [--steps 30]``.

For each network it times full training steps (forward, softmax
cross-entropy, backward, Adam) on MNIST-shaped batches, then times only the
matrix products such a step performs — for every layer ``x @ W`` (forward),
``x.T @ g`` and ``g @ W.T`` (backward), on arrays of the same shapes and
dtype — and prints images per second for both and their ratio: how close
the NumPy implementation comes to the machine's matrix-product rate for
these shapes. All rows come from one run; BLAS is pinned to one thread, as
:func:`neuroworm.nn.fit` does. Benchmarks never fail a build.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from neuroworm.pipelines.elegansnet_runs import equal_parameter_mlp, settings_for, tensor_network, worm_neurons
from neuroworm.nn import Adam, softmax_cross_entropy


def time_training(network, batch_size, steps, rng):
    inputs = rng.random((batch_size, network.input_size), dtype=np.float32)
    labels = rng.integers(0, 10, batch_size)
    optimizer = Adam()

    def step():
        _, gradient = softmax_cross_entropy(network.forward(inputs), labels)
        network.backward(gradient)
        optimizer.step(network.parameters(), network.gradients())

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch_size / (time.perf_counter() - start)


def time_products(network, batch_size, steps, rng):
    shapes = [(layer.dense.in_features, layer.dense.out_features) for layer in network.layers]
    arrays = [(rng.random((batch_size, n_in), dtype=np.float32), rng.random((n_in, n_out), dtype=np.float32),
               rng.random((batch_size, n_out), dtype=np.float32)) for n_in, n_out in shapes]

    def products():
        for x, w, g in arrays:
            x @ w
            x.T @ g
            g @ w.T

    products()
    start = time.perf_counter()
    for _ in range(steps):
        products()
    return steps * batch_size / (time.perf_counter() - start), sum(2 * 3 * batch_size * a * b for a, b in shapes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    settings = settings_for("small", channels=args.channels)
    worm = tensor_network(worm_neurons(), 784, 10, settings, seed=0)
    mlp = equal_parameter_mlp(worm.parameter_count, 784, 10, seed=0)
    print(f"batch {args.batch_size}, float32, 1 BLAS thread, {args.steps} steps each")
    print(f"{'network':<34} {'params':>9} {'layers':>6} {'train img/s':>12} {'matmul img/s':>13} "
          f"{'matmul GFLOP/s':>15} {'train/matmul':>13}")
    with threadpool_limits(1):
        for name, network in ((f"ElegansNet (k={args.channels})", worm), ("MLP, equal parameters", mlp)):
            train_rate = time_training(network, args.batch_size, args.steps, rng)
            product_rate, flops = time_products(network, args.batch_size, args.steps, rng)
            gflops = product_rate / args.batch_size * flops / 1e9
            print(f"{name:<34} {network.parameter_count:9,d} {len(network.layers):6d} {train_rate:12.0f} "
                  f"{product_rate:13.0f} {gflops:15.2f} {train_rate / product_rate:13.2f}")
            if network is worm:
                worm_rate = train_rate
            else:
                print(f"ElegansNet trains {train_rate / worm_rate:.1f}x slower than the MLP with as many parameters "
                      f"(masked dense layers hold {sum(l.dense.weight.size for l in worm.layers):,} weights for "
                      f"{worm.parameter_count:,} parameters)")


if __name__ == "__main__":
    main()
