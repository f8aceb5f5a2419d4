"""neuroworm evaluate: genome files read back, held-out seeds, returns equal to the evaluator's, JSON, video."""

import json
from dataclasses import asdict

import numpy as np
import pytest

from neuroworm.analysis.swim import episode_reset_seeds, evaluate_genome, load_genome_file
from neuroworm.errors import ConfigError

pytestmark = pytest.mark.mujoco

STEPS = 80


@pytest.fixture(scope="module")
def best_genome_file(tmp_path_factory):
    from neuroworm.genome import GenomeLayout
    from neuroworm.pipelines.evolve import EvolutionSettings
    from neuroworm.tasks import task_dimensions

    settings = EvolutionSettings(model="alif", task="Swimmer-v5", episode_steps=STEPS, backend="reference")
    from neuroworm.connectome import load_connectome, locomotion_circuit

    circuit = locomotion_circuit(load_connectome(settings.connectome))
    layout = GenomeLayout(circuit, "alif", *task_dimensions("Swimmer-v5"))
    genome = layout.random(1, seed=4, weight_noise=0.3)[0]
    folder = tmp_path_factory.mktemp("run")
    np.savez(folder / "best_genome.npz", genome=genome, fitness=1.0, settings=json.dumps(asdict(settings)),
             slices=json.dumps({k: [v.start, v.stop] for k, v in layout.slices.items()}))
    return folder / "best_genome.npz"


def test_held_out_seeds_are_the_test_seeds_and_disjoint():
    from neuroworm.pipelines.pretraining import TRAINING_SEED_LIMIT, heldout_seeds

    assert episode_reset_seeds(16, 0) == heldout_seeds(16, "test")
    assert not set(episode_reset_seeds(16, 1)) & set(episode_reset_seeds(16, 0))
    assert min(episode_reset_seeds(4, 3)) >= TRAINING_SEED_LIMIT
    with pytest.raises(ConfigError, match="episodes"):
        episode_reset_seeds(0, 0)
    with pytest.raises(ConfigError, match="seed"):
        episode_reset_seeds(4, -1)


def test_returns_equal_the_evaluators_on_the_same_seeds(best_genome_file):
    from neuroworm.control.evaluator import ClosedLoopEvaluator

    result = evaluate_genome(best_genome_file.parent, episodes=3, seed=2)  # a run folder is searched
    worm = load_genome_file(best_genome_file)
    evaluator = ClosedLoopEvaluator(worm.circuit, "alif", "Swimmer-v5", backend="reference", episode_steps=STEPS,
                                    layout=worm.layout)
    expected = evaluator(np.repeat(worm.genome[None], 3, axis=0), seeds=episode_reset_seeds(3, 2))
    np.testing.assert_array_equal(result.returns, expected)
    assert result.mean == pytest.approx(expected.mean()) and result.std == pytest.approx(expected.std())
    assert len(result.gaits) == 3 and len(result.gait.phase_lag_rad) == 1  # Swimmer-v5: 2 joints, 1 pair


def test_cli_json_has_the_issue_keys(best_genome_file, capsys):
    from neuroworm.cli import main

    assert main(["evaluate", str(best_genome_file), "--episodes", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"returns", "mean", "std", "gait"} <= set(report)
    assert {"frequency_hz", "amplitude_rad", "phase_lag_rad", "travelling_wave"} <= set(report["gait"])
    assert len(report["returns"]) == 2 and len(report["gait"]["amplitude_rad"]) == 2
    assert isinstance(report["gait"]["travelling_wave"], bool)


def test_bad_files_are_named(tmp_path, capsys):
    from neuroworm.cli import main

    with pytest.raises(ConfigError, match="no genome file in this folder"):
        load_genome_file(tmp_path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="junk.npz"):
        load_genome_file(tmp_path / "junk.npz")
    np.savez(tmp_path / "pickled.npz", genome=np.array([object()], dtype=object))
    with pytest.raises(ConfigError, match="pickled.npz"):  # read with allow_pickle=False
        load_genome_file(tmp_path / "pickled.npz")
    np.savez(tmp_path / "nosettings.npz", genome=np.zeros(3))
    with pytest.raises(ConfigError, match="settings"):
        load_genome_file(tmp_path / "nosettings.npz")
    assert main(["evaluate", str(tmp_path / "missing.npz")]) == 2
    assert "missing.npz" in capsys.readouterr().err


def test_video_falls_back_to_matplotlib(best_genome_file, tmp_path):
    from neuroworm.analysis.video import render_video

    result = evaluate_genome(best_genome_file, episodes=1)
    written, used = render_video(result.record, tmp_path / "swim.mp4", renderer="matplotlib", max_frames=4,
                                 width=160, height=120)
    assert used == "matplotlib" and written.exists() and written.stat().st_size > 0
    from PIL import Image

    assert Image.open(written).n_frames == 4


def test_the_mujoco_renderer_runs_in_a_child_that_may_die_alone(best_genome_file, tmp_path, monkeypatch):
    import os
    from concurrent.futures.process import BrokenProcessPool

    from PIL import Image

    from neuroworm.analysis import video

    with pytest.raises(BrokenProcessPool):
        video.render_in_child(os.abort)  # an OpenGL abort kills the child, not this process
    assert video.render_in_child(os.getpid) != os.getpid()
    result = evaluate_genome(best_genome_file, episodes=1, seed=0, episode_steps=40)
    written, used = video.render_video(result.record, tmp_path / "auto.gif", max_frames=3)
    assert used in ("mujoco", "matplotlib") and Image.open(written).n_frames == 3
    monkeypatch.setattr(video, "_render_child", os.abort)  # the child gets os.abort(...): a TypeError there
    written, used = video.render_video(result.record, tmp_path / "fallback.gif", max_frames=3)
    assert used == "matplotlib" and Image.open(written).n_frames == 3
    with pytest.raises(ConfigError, match="MuJoCo cannot render here"):
        video.render_video(result.record, tmp_path / "strict.gif", renderer="mujoco", max_frames=3)


@pytest.mark.slow
def test_readme_example_runs_as_printed(best_genome_file, tmp_path, monkeypatch):
    import re
    import runpy
    import shutil
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "docs" / "closed-loop-and-evolution.md").read_text()
    start = readme.index("## Evaluating a saved worm")
    source = re.compile(r"```python\n(.*?)```", re.DOTALL).search(readme, start).group(1)
    (tmp_path / "runs" / "swim").mkdir(parents=True)
    shutil.copy(best_genome_file, tmp_path / "runs" / "swim" / "best_genome.npz")
    monkeypatch.chdir(tmp_path)
    namespace = runpy.run_path(str(tmp_path / "example.py")) if (tmp_path / "example.py").write_text(source) else None
    assert len(namespace["result"].returns) == 16
    assert (tmp_path / "kymograph.png").exists() and (tmp_path / "swim.gif").exists()
