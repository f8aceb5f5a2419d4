"""How long loading each bundled connectome takes (target: under 0.5 s each).

Run: ``python benchmarks/bench_load.py``. Prints one row per dataset: the
first (cold) load, the median of five warm loads, and the sizes. Benchmarks
never fail a build on time.
"""

import statistics
import time

from neuroworm import list_connectomes, load_connectome


def main(repeats=5):
    print(f"{'dataset':<34} {'cold s':>8} {'warm s':>8} {'cells':>6} {'chem':>6} {'elec':>6}")
    for dataset in list_connectomes().index:
        start = time.perf_counter()
        connectome = load_connectome(dataset)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(repeats):
            start = time.perf_counter()
            load_connectome(dataset)
            warm.append(time.perf_counter() - start)
        print(
            f"{dataset:<34} {cold:8.3f} {statistics.median(warm):8.3f} {len(connectome.neurons):6d} "
            f"{len(connectome.chemical):6d} {len(connectome.electrical):6d}"
        )


if __name__ == "__main__":
    main()
