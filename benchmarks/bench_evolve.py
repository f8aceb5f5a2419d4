"""Cost of the evolution machinery itself, per generation.

Measures, for the elite GA of Schmidgall et al. (2023, A.3.1: population
750, 8 elites) and the OpenAI-ES of their pretraining (A.3.2: population
200), the time spent outside the evaluate function: generating offspring
(selection and mutation), elite selection / gradient step, bookkeeping
(fitness, statistics, hall of fame, logbook) and the atomic checkpoint
write.  The genome has D = 3000 genes, a stand-in for the locomotion
circuit's genome (log-weights of its chemical and electrical synapses plus
encoder and decoder); pass ``--genome-size`` for the real figure.

With ``--evaluation-seconds`` (the time one generation's evaluation takes,
from the task benchmarks) the machinery's cost is also printed as a
fraction of it; the target is under 3 %.  Benchmarks print numbers; they
never fail.

Run::

    PYTHONPATH=. python benchmarks/bench_evolve.py --evaluation-seconds 20
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from neuroworm.evolve import EliteGA, Individual, OpenAIES, run, write_checkpoint
from neuroworm.evolve.individual import assign_fitness, population_fitness, population_genomes
from neuroworm.evolve.objectives import sphere
from neuroworm.evolve.records import generation_record, new_hall_of_fame, new_logbook


def best_of(function, repeats):
    """Smallest wall time of ``repeats`` calls, in seconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def zero_evaluate(genomes):
    """A free evaluation, so that a whole run measures only the machinery."""
    return np.zeros(genomes.shape[0])


def components(strategy, repeats, folder):
    """Time each step of one generation of ``strategy``, in seconds."""
    population = strategy.generate(Individual)
    genomes = population_genomes(population)
    fitness = sphere(genomes)
    assign_fitness(population, fitness)
    logbook, hall_of_fame = new_logbook(), new_hall_of_fame(1)

    def generate():
        strategy.generate(Individual)

    def update():
        strategy.update(population)
        if hasattr(strategy, "_noise"):
            strategy._noise = np.zeros((strategy.population_size, strategy.search_size))

    if hasattr(strategy, "_noise"):
        strategy._noise = np.zeros((strategy.population_size, strategy.search_size))

    def bookkeeping():
        stacked = population_genomes(population)
        assign_fitness(population, sphere(stacked) * 0 + fitness)
        values = population_fitness(population)
        leaders = np.argsort(-values, kind="stable")[:1]
        hall_of_fame.update([population[i] for i in leaders])
        logbook.record(**generation_record(0, values, len(population), hall_of_fame[0].fitness.values[0], {}))

    state = {"strategy": strategy, "population": genomes, "fitness": fitness, "fingerprint": {},
             "logbook": logbook, "hall_of_fame": hall_of_fame}

    def checkpoint():
        write_checkpoint(Path(folder) / "bench.ckpt", state)

    return {
        "generate (selection + mutation)": best_of(generate, repeats),
        "update (elites / gradient step)": best_of(update, repeats),
        "bookkeeping (stack, fitness, stats, hall of fame, logbook)": best_of(bookkeeping, repeats),
        "checkpoint write (pickle + fsync + replace)": best_of(checkpoint, repeats),
    }


def whole_run(make_strategy, generations, folder, checkpoint):
    """Seconds per generation of run() with a free evaluate function."""
    path = Path(folder) / "run.ckpt" if checkpoint else None
    if path is not None and path.exists():
        path.unlink()
    start = time.perf_counter()
    run(make_strategy(), zero_evaluate, generations, seed=0, progress=False, checkpoint=path)
    return (time.perf_counter() - start) / generations


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population-size", type=int, default=750)
    parser.add_argument("--es-population-size", type=int, default=200)
    parser.add_argument("--genome-size", type=int, default=3000,
                        help="genes per genome (default 3000, a stand-in for the locomotion circuit)")
    parser.add_argument("--generations", type=int, default=10, help="generations of the whole-run measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--evaluation-seconds", type=float, default=None,
                        help="seconds one generation's evaluation takes, to express the overhead as a fraction")
    arguments = parser.parse_args(argv)
    size, genes = arguments.population_size, arguments.genome_size
    rng = np.random.default_rng(0)
    groups = {"encoder_decoder": slice(0, genes // 10), "connectome": slice(genes // 10, genes)}

    def make_ga():
        return EliteGA(rng.normal(size=genes), population_size=size, n_elites=8, groups=groups,
                       mutation_rate=0.01, mutation_decay=0.997, seed=0)

    def make_es():
        return OpenAIES(rng.normal(size=genes), population_size=arguments.es_population_size, groups=groups, seed=0)

    print(f"evolution machinery per generation, genome size D = {genes} (stand-in for the locomotion circuit)")
    with tempfile.TemporaryDirectory() as folder:
        for label, make, population in (("EliteGA", make_ga, size), ("OpenAIES", make_es,
                                                                     arguments.es_population_size)):
            print(f"\n{label}, population {population}:")
            for name, seconds in components(make(), arguments.repeats, folder).items():
                print(f"  {name:<60s} {seconds * 1e3:8.2f} ms")
            per_generation = whole_run(make, arguments.generations, folder, checkpoint=False)
            with_checkpoint = whole_run(make, arguments.generations, folder, checkpoint=True)
            print(f"  {'whole run() generation, free evaluate, no checkpoint':<60s} {per_generation * 1e3:8.2f} ms")
            print(f"  {'whole run() generation, free evaluate, checkpoint every gen':<60s} "
                  f"{with_checkpoint * 1e3:8.2f} ms")
            if arguments.evaluation_seconds:
                fraction = with_checkpoint / arguments.evaluation_seconds
                print(f"  overhead / evaluation ({arguments.evaluation_seconds:g} s per generation): "
                      f"{100 * fraction:.2f} % (target < 3 %)")


if __name__ == "__main__":
    main()
