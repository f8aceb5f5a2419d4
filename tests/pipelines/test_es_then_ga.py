"""The two-stage run of Schmidgall et al. (2023) spread over a real Dask cluster gives the run it gives at home."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.pipelines.es_then_ga import evaluation_map

TINY = {"episode_steps": 15, "es_population": 4, "es_epochs": 2, "es_patience": None, "ga_population": 6,
        "ga_generations": 2, "elites": 1, "episodes_per_individual": 1, "heldout_episodes": 2, "heldout_every": 1,
        "test_episodes": 2, "common_seeds": False}


def test_evaluation_map_reads_local_or_an_address_and_refuses_anything_else():
    assert evaluation_map() == {}
    assert evaluation_map(batch_size=3) == {"batch_size": 3}
    assert evaluation_map("local") == {"map": "dask"}
    assert evaluation_map("tcp://10.0.0.1:8786", 5) == {"map": "tcp://10.0.0.1:8786", "batch_size": 5}
    with pytest.raises(ConfigError, match="scheduler address"):
        evaluation_map("10.0.0.1")


def test_a_stage_on_a_cluster_gets_one_batch_per_worker_unless_told():
    from types import SimpleNamespace

    from neuroworm.pipelines.es_then_ga import _stage_spread

    mapper = SimpleNamespace(workers=16, function=map)
    assert _stage_spread(mapper, None, 200) == {"map": map, "batch_size": 13}  # 16 tasks of <= 13 genomes
    assert _stage_spread(mapper, None, 750)["batch_size"] == 47
    assert _stage_spread(mapper, 5, 750)["batch_size"] == 5
    assert _stage_spread(None, None, 200) == {} and _stage_spread(None, 7, 200) == {"batch_size": 7}


@pytest.fixture(scope="module")
def scheduler():
    """A real two-worker LocalCluster (separate processes), given to the run by its address only."""
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.mujoco
def test_pretrain_then_evolve_on_a_dask_cluster_equals_the_local_run(scheduler):
    from neuroworm.connectome import load_connectome, locomotion_circuit
    from neuroworm.pipelines.es_then_ga import pretrain_then_evolve

    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    runs = [pretrain_then_evolve(circuit, "relu", "Swimmer-v5", sizes=TINY, experiment="varying_biophysical_realism",
                                 seed=4, dask=dask, batch_size=batch)
            for dask, batch in ((None, None), (scheduler.scheduler.address, 2), (scheduler.scheduler.address, None))]
    served = scheduler.run(lambda: __import__("neuroworm.evolve.parallel", fromlist=["x"])._BUILT_IN_THIS_PROCESS)
    assert any(served.values())  # the workers, not this process, scored the batches
    local = runs[0]
    columns = ["stage", "generation", "mean", "best", "heldout_mean"]
    for remote in runs[1:]:  # batches of 2, and the default one batch per worker
        assert local["curve"][columns].equals(remote["curve"][columns])
        np.testing.assert_array_equal(local["genome"], remote["genome"])
        np.testing.assert_array_equal(local["test_returns"], remote["test_returns"])
        np.testing.assert_array_equal(local["pretrained_returns"], remote["pretrained_returns"])
    assert local["curve"]["mean"].nunique() > 1  # the populations were scored, not a constant


@pytest.mark.mujoco
def test_fig3_refuses_a_bad_dask_address_before_running():
    from neuroworm.papers import schmidgall2023

    with pytest.raises(ConfigError, match="scheduler address"):
        schmidgall2023.fig3(scale="small", dask="nowhere")
    with pytest.raises(ConfigError, match="scheduler address"):
        schmidgall2023.fig4(scale="small", dask="nowhere")


@pytest.mark.mujoco
def test_a_named_circuit_s_product_is_a_worm_file_that_evaluate_re_scores(tmp_path):
    from neuroworm.analysis import evaluate_genome
    from neuroworm.connectome import load_connectome, locomotion_circuit
    from neuroworm.papers.schmidgall2023 import LOCOMOTION_WORM
    from neuroworm.pipelines.es_then_ga import pretrain_then_evolve
    from neuroworm.pipelines.pretraining import load_worm

    circuit = locomotion_circuit(load_connectome(LOCOMOTION_WORM["connectome"]))
    sizes = dict(TINY, episode_steps=80)  # long enough for evaluate's gait report
    result = pretrain_then_evolve(circuit, "alif", "Swimmer-v5", sizes=sizes, experiment="varying_biophysical_realism",
                                  seed=1, out=tmp_path, gap_junctions=False, worm=LOCOMOTION_WORM)
    genome, settings, _, _ = load_worm(tmp_path / "worm.npz")
    np.testing.assert_array_equal(genome, result["genome"])
    assert (settings.gap_junctions, settings.es_population, settings.ga_generations, settings.episode_steps) == (
        False, TINY["es_population"], TINY["ga_generations"], 80)
    rescored = evaluate_genome(tmp_path / "worm.npz", episodes=TINY["test_episodes"], seed=0, record_cells=())
    np.testing.assert_array_equal(rescored.returns, result["test_returns"])  # the same network, seeds and episodes
    with np.load(tmp_path / "worm.npz") as data:
        np.testing.assert_array_equal(data["test_returns"], result["test_returns"])
        assert data["validation_returns"].shape == (TINY["heldout_episodes"],)
