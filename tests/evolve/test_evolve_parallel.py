"""Scale-out of evaluation: results do not depend on the map, and survive a lost Dask worker."""

import os
import signal
import threading

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.evolve import BatchEvaluation, EliteGA, OpenAIES, open_map, run
from neuroworm.evolve.objectives import Delayed, Noisy, ShiftedQuadratic, sphere

OBJECTIVE = Noisy(ShiftedQuadratic(np.linspace(-1, 1, 6)), noise=0.01)  # picklable, uses evaluation seeds


def rows(result):
    return [dict(row) for row in result.logbook]


def small_es():
    return OpenAIES(np.zeros(6), population_size=12, sigma=0.1, learning_rate=0.05)


def test_batches_are_reassembled_in_order():
    genomes = np.arange(21.0).reshape(7, 3)
    for batch_size in (1, 2, 3, 7, 100):
        evaluation = BatchEvaluation(lambda g: g[:, 0] * 10 + g.shape[0] * 0, batch_size=batch_size)
        np.testing.assert_array_equal(evaluation(genomes), genomes[:, 0] * 10)


def test_user_map_and_builtin_map_give_identical_runs():
    reference = run(small_es(), OBJECTIVE, generations=4, seed=1, progress=False)
    calls = []

    def recording_map(function, iterable):
        items = list(iterable)
        calls.append(len(items))
        return map(function, items)

    mapped = run(small_es(), OBJECTIVE, generations=4, seed=1, progress=False, map=recording_map, batch_size=5)
    assert calls == [3, 3, 3, 3]  # 12 individuals in batches of 5
    assert rows(mapped) == rows(reference)


def test_unknown_map_is_a_config_error():
    with pytest.raises(ConfigError, match="map must be"):
        run(small_es(), OBJECTIVE, generations=1, seed=1, progress=False, map=42)


def test_process_pool_gives_identical_run():
    reference = run(small_es(), OBJECTIVE, generations=3, seed=2, progress=False, batch_size=4)
    pooled = run(small_es(), OBJECTIVE, generations=3, seed=2, progress=False, batch_size=4, map="process",
                 workers=2)
    assert rows(pooled) == rows(reference)


@pytest.fixture
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_run_survives_a_killed_worker_with_identical_fitness(dask_client):
    objective = Delayed(sphere, seconds=0.2)  # slow batches, so a worker dies while busy
    strategy = EliteGA(np.ones(5), population_size=16, n_elites=2, mutation_rate=0.1)
    reference = run(strategy, sphere, generations=3, seed=6, progress=False, batch_size=2)

    pids = dask_client.run(os.getpid)  # {worker address: pid}
    victim = min(pids.values())
    killer = threading.Timer(0.5, os.kill, args=(victim, signal.SIGKILL))
    killer.start()
    try:
        distributed = run(strategy, objective, generations=3, seed=6, progress=False, batch_size=2,
                          map=dask_client)
    finally:
        killer.cancel()
    assert victim not in dask_client.run(os.getpid).values()  # the worker really died (and was replaced)
    assert rows(distributed) == rows(reference)
    np.testing.assert_array_equal(distributed.best, reference.best)


def test_dask_scheduler_address_gives_identical_run(dask_client):
    reference = run(small_es(), OBJECTIVE, generations=2, seed=3, progress=False, batch_size=3)
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1")
    remote = run(small_es(), OBJECTIVE, generations=2, seed=3, progress=False, batch_size=3, map=address)
    assert rows(remote) == rows(reference)


def test_dask_local_cluster_option_starts_and_closes_its_own_cluster():
    pytest.importorskip("dask.distributed")
    with open_map("dask", workers=1) as mapper:
        assert list(mapper.function(abs, [-1, -2])) == [1, 2]
        client = mapper.function.client
    assert client.status == "closed"
