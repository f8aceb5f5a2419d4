"""The demo's swimming worm: bundled worms load and re-score as stored; the demo writes what it promises."""

import json

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.pipelines.demo import BUNDLED_WORMS, bundled_worm, swimming_demo
from neuroworm.pipelines.pretraining import PretrainSettings, heldout_seeds, load_worm, pretraining_layout, save_worm


def test_unknown_task_has_no_bundled_worm():
    with pytest.raises(ConfigError, match="HalfCheetah"):
        bundled_worm("HalfCheetah-v5")


@pytest.mark.parametrize("task", sorted(BUNDLED_WORMS))
def test_bundled_worms_load_with_their_task_and_test_returns(task):
    path = bundled_worm(task)
    genome, settings, _circuit, layout = load_worm(path)
    assert settings.task == task and settings.model == "alif"
    assert genome.shape == (layout.size,) and np.isfinite(genome).all()
    with np.load(path) as data:
        assert data["test_returns"].shape == (settings.test_episodes,)


@pytest.mark.slow
@pytest.mark.mujoco
@pytest.mark.parametrize("task", sorted(BUNDLED_WORMS))
def test_bundled_worms_re_score_their_stored_test_returns_and_swim(task):
    from neuroworm.analysis import evaluate_genome

    path = bundled_worm(task)
    with np.load(path) as data:
        stored = np.array(data["test_returns"])
    result = evaluate_genome(path, episodes=len(stored), seed=0, record_cells=())
    assert result.seeds == heldout_seeds(len(stored), "test")
    np.testing.assert_allclose(result.returns, stored, rtol=1e-9)
    summary = result.to_dict()
    assert summary["mean"] > 100 and summary["gait"]["travelling_wave"]  # a worm that swims, not one that drifts


@pytest.mark.slow
@pytest.mark.mujoco
def test_demo_writes_returns_gait_and_figures(tmp_path):
    from neuroworm import load_connectome, locomotion_circuit

    settings = PretrainSettings.from_paper(episode_steps=60)
    circuit = locomotion_circuit(load_connectome(settings.connectome))
    layout = pretraining_layout(circuit, "alif", 8, 2)
    worm = save_worm(tmp_path / "tiny.npz", layout.random(1, seed=0)[0], settings, layout)
    summary = swimming_demo(tmp_path / "demo", worm=worm, generations=1, population=3, test_episodes=2,
                            progress=False, log=None)
    saved = json.loads((tmp_path / "demo" / "demo.json").read_text())
    assert saved["before"]["seeds"] == heldout_seeds(2, "test") == saved["after"]["seeds"]
    assert set(saved["after"]["gait"]) >= {"frequency_hz", "amplitude_rad", "phase_lag_rad", "travelling_wave"}
    assert summary["generations"] == 1 and 0 <= summary["genes_changed"] <= summary["genes"] == layout.size
    for name in ("kymograph.png", "trajectory.png", "raster.png", "fitness.png", "worm.npz"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    assert (tmp_path / "demo" / "swim.gif").exists() or (tmp_path / "demo" / "swim.mp4").exists()


def test_the_demo_line_says_when_evolution_kept_the_starting_worm():
    from types import SimpleNamespace

    from neuroworm.pipelines.demo import _evolution_line

    worm = SimpleNamespace(mean=152.5, std=8.3)
    assert "kept the starting worm unchanged" in _evolution_line(worm, worm, 4, 32, 0, 2758)
    changed = _evolution_line(worm, SimpleNamespace(mean=155.0, std=7.0), 4, 32, 12, 2758)
    assert "155.0 ± 7.0 after 4 generations (12 of 2758 genes changed)" in changed
