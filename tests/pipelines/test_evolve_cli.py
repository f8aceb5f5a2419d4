"""`neuroworm evolve`: a tiny end-to-end run writes everything a user looks at, and resumes."""

import json

import numpy as np
import pandas as pd
import pytest

from neuroworm import ConfigError
from neuroworm.cli import main
from neuroworm.pipelines.evolve import EvolutionSettings, load_best_genome
from neuroworm.worm_file import read_worm_file

TINY = ["--population", "4", "--elites", "2", "--episode-steps", "20", "--neural-steps", "2", "--seed", "3", "--quiet"]


@pytest.mark.mujoco
def test_evolve_writes_results_and_resumes_to_the_same_logbook(tmp_path, capsys):
    uninterrupted = tmp_path / "full"
    assert main(["evolve", "--generations", "3", "--out", str(uninterrupted), *TINY]) == 0
    for name in ("logbook.csv", "best_genome.npz", "checkpoint.npz", "settings.json", "fitness.png",
                 "best_trajectory.png", "best_raster.png"):
        assert (uninterrupted / name).is_file(), name
    logbook = pd.read_csv(uninterrupted / "logbook.csv")
    assert list(logbook["gen"]) == [0, 1, 2]
    assert (np.diff(logbook["best"]) >= 0).all()
    genome, fitness, settings = load_best_genome(uninterrupted)
    assert np.isfinite(genome).all() and fitness == pytest.approx(logbook["best"].iloc[-1])
    assert settings.population == 4 and json.loads((uninterrupted / "settings.json").read_text())["seed"] == 3
    worm = read_worm_file(uninterrupted / "best_genome.npz")  # one worm-file format, pre-training's too (#19)
    np.testing.assert_array_equal(worm.genome, genome)
    assert worm.layout.size == genome.size and worm.settings["model"] == "alif"
    assert "best return" in capsys.readouterr().out

    # Two generations, then resume to three: the same logbook as the uninterrupted run.
    stopped = tmp_path / "stopped"
    assert main(["evolve", "--generations", "2", "--out", str(stopped), *TINY]) == 0
    assert main(["evolve", "--generations", "3", "--out", str(stopped), "--resume", *TINY]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(stopped / "logbook.csv"), logbook)

    # Each generation split over two worker processes: the same logbook again.
    split = tmp_path / "split"
    assert main(["evolve", "--generations", "3", "--out", str(split), "--processes", "2", *TINY]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(split / "logbook.csv"), logbook)


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    (tmp_path / "settings.json").write_text(json.dumps({**EvolutionSettings().__dict__, "seed": 99}))
    assert main(["evolve", "--generations", "1", "--out", str(tmp_path), "--resume", *TINY]) == 2
    assert "cannot resume with different settings" in capsys.readouterr().err


def test_invalid_settings_are_config_errors():
    with pytest.raises(ConfigError, match="circuit"):
        EvolutionSettings(circuit="brain").validate()
    with pytest.raises(ConfigError, match="elites"):
        EvolutionSettings(population=4, elites=4).validate()
    with pytest.raises(ConfigError, match="experiment"):
        EvolutionSettings.from_paper("no_such_experiment")
