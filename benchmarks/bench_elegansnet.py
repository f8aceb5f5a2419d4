"""Training speed of ElegansNet's tensor network (fast and reference paths) and an equal-parameter MLP.

Run: ``python benchmarks/bench_elegansnet.py [--channels 4] [--batch-size 64] [--steps 30]``.

For each network it times full training steps (forward, softmax
cross-entropy, backward, Adam) on MNIST-shaped batches: ElegansNet's
:class:`~neuroworm.nn.tensor_network.TensorNetwork` (edge blocks, one
batched product per depth), the same network as masked dense layers
(:class:`~neuroworm.nn.tensor_network.MaskedTensorNetwork`, the reference)
and a one-hidden-layer MLP with as many parameters. For the layered networks
it also times only the matrix products such a step performs — for every
layer ``x @ W`` (forward), ``x.T @ g`` and ``g @ W.T`` (backward), on arrays
of the same shapes and dtype — to show how close they come to the machine's
matrix-product rate. All rows come from one run, interleaved (``--rounds``
times, the median is printed) so that a shared machine's load hits every
network alike; BLAS is pinned to one thread, as :func:`neuroworm.nn.fit`
does. Benchmarks never fail a build.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from neuroworm.nn import Adam, softmax_cross_entropy
from neuroworm.pipelines.elegansnet_runs import equal_parameter_mlp, settings_for, tensor_network, worm_neurons


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
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    settings = settings_for("small", channels=args.channels)
    worm = tensor_network(worm_neurons(), 784, 10, settings, seed=0)
    reference = worm.masked_reference()
    mlp = equal_parameter_mlp(worm.parameter_count, 784, 10, seed=0)
    networks = {f"ElegansNet (k={args.channels}), fast path": worm,
                f"ElegansNet (k={args.channels}), masked reference": reference,
                "MLP, equal parameters": mlp}
    rates = {name: [] for name in networks}
    with threadpool_limits(1):
        for _ in range(args.rounds):
            for name, network in networks.items():
                rates[name].append(time_training(network, args.batch_size, args.steps, rng))
        products = {name: time_products(network, args.batch_size, args.steps, rng)
                    for name, network in networks.items() if hasattr(network, "layers")}
    print(f"batch {args.batch_size}, float32, 1 BLAS thread, {args.steps} steps per timing, median of "
          f"{args.rounds} interleaved rounds")
    print(f"{'network':<44} {'params':>9} {'stored weights':>15} {'train img/s':>12} {'matmul img/s':>13} "
          f"{'matmul GFLOP/s':>15}")
    for name, network in networks.items():
        stored = sum(p.size for p in network.parameters())
        rate = float(np.median(rates[name]))
        product_rate, flops = products.get(name, (np.nan, np.nan))
        gflops = product_rate / args.batch_size * flops / 1e9
        print(f"{name:<44} {network.parameter_count:9,d} {stored:15,d} {rate:12.0f} {product_rate:13.0f} "
              f"{gflops:15.2f}")
    mlp_rate = float(np.median(rates["MLP, equal parameters"]))
    for name in list(networks)[:2]:
        print(f"{name}: {mlp_rate / float(np.median(rates[name])):.2f}x slower than the MLP "
              f"({float(np.median(rates[name])) / mlp_rate:.2f} of its rate)")


if __name__ == "__main__":
    main()
