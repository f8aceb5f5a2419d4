"""The neuroworm command line."""

import subprocess
import sys

from neuroworm.cli import main


def test_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "neuroworm.cli", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("connectomes", "connectome", "demo"):
        assert command in result.stdout


def test_connectomes_table(capsys):
    assert main(["connectomes"]) == 0
    out = capsys.readouterr().out
    assert "cook2019_hermaphrodite" in out and "witvliet2021_8" in out


def test_connectome_info(capsys):
    assert main(["connectome", "info", "white1986"]) == 0
    out = capsys.readouterr().out
    assert "White" in out and "chemical_edges" in out


def test_unknown_connectome_is_a_clear_error(capsys):
    assert main(["connectome", "info", "no_such_worm"]) == 2
    err = capsys.readouterr().err
    assert "no_such_worm" in err and "cook2019_hermaphrodite" in err and "Traceback" not in err


def test_finetune_of_a_missing_or_foreign_file_is_a_clear_error(tmp_path, capsys):
    assert main(["finetune", str(tmp_path / "nowhere.npz"), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "nowhere.npz" in err and "Traceback" not in err
    (tmp_path / "text.npz").write_text("not a worm")
    assert main(["finetune", str(tmp_path / "text.npz"), "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    assert "text.npz" in capsys.readouterr().err


def test_demo_writes_figures_and_the_swimming_worm(tmp_path, capsys):
    # The demo at a tiny scale: the bundled worm, 4 worms for 1 generation, 2 held-out episodes of 30 steps.
    arguments = ["demo", "--out", str(tmp_path), "--population", "4", "--generations", "1", "--test-episodes", "2",
                 "--episode-steps", "30"]
    assert main(arguments) == 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "cook2019_adjacency_by_class.png" in pngs and "cook2019_degree_distributions.png" in pngs
    assert all((tmp_path / p).stat().st_size > 10_000 for p in pngs)
    swim = tmp_path / "swimming_worm"
    for name in ("demo.json", "worm.npz", "kymograph.png", "trajectory.png", "raster.png", "fitness.png"):
        assert (swim / name).is_file(), name
    printed = capsys.readouterr().out
    assert "held-out return " in printed and "(2 held-out test seeds;" in printed
    assert ("the GA kept the starting worm unchanged" in printed) != (" genes changed)" in printed)  # one honest form
