"""Open-loop MNIST evaluation: images classified per second by a population, beside BLAS's rate.

Run: ``python benchmarks/bench_openloop.py [--population 750] [--images 100] [--spiking-images 4]``.

For a population of P genomes (default P = 750, the paper's GA population)
it times :meth:`neuroworm.openloop.OpenLoopEvaluator.scores` on MNIST digits
for three networks of Schmidgall et al.'s Fig. 5:

* the locomotion circuit with ALIF cells (NumPy reference backend, T = 20
  steps per image; P·B networks stepped together);
* the same circuit with ReLU cells (dense batched products, T = 4);
* the 69 → 74 MLP of the same cell count (dense batched products, T = 4);

and, in the same run, the dense matrix products of the same shapes alone —
the encoder ``(1, B, 784) @ (P, 784, n_inputs)``, T products
``(P, B, N) @ (P, N, N)`` and the decoder — which is the rate BLAS allows on
this machine for that much arithmetic. It then prints the time of one GA
generation on a 1,000-digit minibatch (P·1,000 image presentations) implied
by each rate, and the total for 100 generations. BLAS is pinned to one
thread, as the evaluator does. Benchmarks never fail a build.
"""

import argparse
import time
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits


def best_rate(function, images, repeats):
    """Images per second of ``function`` (best of ``repeats`` after a warm-up)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return images / min(times)


def products_rate(P, B, n_pixels, n_neurons, n_inputs, n_outputs, steps, repeats, rng):
    """Images/s of the bare dense products an evaluation of P genomes on B images performs."""
    images = rng.random((1, B, n_pixels))
    encoder = rng.random((P, n_pixels, n_inputs))
    matrices = rng.random((P, n_neurons, n_neurons))
    activity = rng.random((P, B, n_neurons))
    decoder = rng.random((P, n_outputs, 10))

    def products():
        np.matmul(images, encoder)
        for _ in range(steps):
            np.matmul(activity, matrices)
        np.matmul(activity[:, :, :n_outputs], decoder)

    return best_rate(products, P * B, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=750)
    parser.add_argument("--images", type=int, default=100, help="digits per timing, ReLU and MLP")
    parser.add_argument("--spiking-images", type=int, default=4, help="digits per timing, ALIF")
    parser.add_argument("--repeats", type=int, default=2)
    arguments = parser.parse_args()

    from neuroworm import load_connectome, locomotion_circuit
    from neuroworm.openloop import OpenLoopEvaluator
    from neuroworm.papers.architectures import excitatory_fraction, two_layer_mlp
    from neuroworm.tasks.mnist import load_mnist

    data = load_mnist()
    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    mlp = two_layer_mlp(len(circuit.inputs), len(circuit.outputs), 1.0, excitatory_fraction(circuit), seed=0)
    P, rng = arguments.population, np.random.default_rng(0)
    rows = []
    with threadpool_limits(1):
        for label, network, model, B in (("locomotion circuit, ALIF, T=20", circuit, "alif", arguments.spiking_images),
                                         ("locomotion circuit, ReLU, T=4", circuit, "relu", arguments.images),
                                         ("MLP 69-74, ReLU, T=4", mlp, "relu", arguments.images)):
            images, labels = data.images[:B], data.labels[:B]
            evaluator = OpenLoopEvaluator(network, model, images, labels, chunk=B, blas_threads=None)
            genomes = evaluator.layout.random(P, seed=0)
            rate = best_rate(partial(evaluator.scores, genomes, images), P * B, arguments.repeats)
            bound = products_rate(P, B, images.shape[1], network.n_neurons, len(network.inputs),
                                  len(network.outputs), evaluator.steps, arguments.repeats, rng)
            rows.append((label, B, rate, bound))
            del evaluator, genomes
    print(f"P = {P} genomes, one BLAS thread; 'dense products' = the same shapes' matmuls alone")
    print(f"{'network':34s} {'B':>4s} {'images/s':>10s} {'dense products':>15s} {'ratio':>6s} "
          f"{'GA gen (1,000 digits)':>22s} {'100 gens':>9s}")
    for label, B, rate, bound in rows:
        generation = P * 1000 / rate
        print(f"{label:34s} {B:4d} {rate:10.0f} {bound:15.0f} {rate / bound:6.2f} {generation:20.1f} s "
              f"{100 * generation / 3600:7.1f} h")


if __name__ == "__main__":
    main()
