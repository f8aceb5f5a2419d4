"""Refusals change nothing on disk, and every number means what it says (issue 24).

Each case runs ``neuroworm ...`` through :func:`neuroworm.cli.main` with the
simulation replaced by an exception, so a command that passes every check
stops at once; a refused command must exit with 2, print one line, and leave
its output folder exactly as it was (absent, here).
"""

import pytest

from neuroworm.cli import main
from neuroworm.pipelines import pretraining
from neuroworm.resources import bundled_path

WORM = str(bundled_path("models", "alif_swimmer_v5.npz"))


class _WouldRun(Exception):
    """Raised in place of the run: every check passed."""


@pytest.fixture
def no_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise _WouldRun

    monkeypatch.setattr(pretraining, "_pretrain", refuse)
    monkeypatch.setattr(pretraining, "_finetune", refuse)


def _refused(capsys, argv, words):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1, error


def test_pretrain_with_an_unknown_task_writes_nothing_and_the_corrected_command_runs(tmp_path, capsys, no_run):
    out = tmp_path / "run"
    _refused(capsys, ["pretrain", "--task", "Nope-v0", "--out", str(out), "--quiet"], "Nope-v0")
    assert not out.exists()
    with pytest.raises(_WouldRun):
        main(["pretrain", "--out", str(out), "--quiet"])
    with pytest.raises(_WouldRun):
        main(["pretrain", "--out", str(out), "--quiet", "--resume"])


@pytest.mark.parametrize("arguments, words", [
    (["--connectome", "no_such_worm"], "no_such_worm"),
    (["--es-population", "2000000000000"], "GiB of memory"),
    (["--ga-population", "2000000000000"], "GiB of memory"),
])
def test_pretrain_refusals_write_nothing(tmp_path, capsys, no_run, arguments, words):
    out = tmp_path / "run"
    _refused(capsys, ["pretrain", *arguments, "--out", str(out), "--quiet"], words)
    assert not out.exists()


@pytest.mark.parametrize("arguments, words", [
    (["--sigma", "inf"], "sigma must be a finite number > 0, got inf"),
    (["--sigma", "nan"], "sigma must be a finite number > 0, got nan"),
    (["--learning-rate", "-1"], "learning_rate must be a finite number > 0"),
    (["--population", "3"], "even"),
    (["--population", "2000000000000"], "GiB of memory"),
    (["--episodes", "0"], "episodes must be an integer >= 1"),
])
def test_finetune_refusals_write_nothing(tmp_path, capsys, no_run, arguments, words):
    out = tmp_path / "tune"
    _refused(capsys, ["finetune", WORM, "--epochs", "1", *arguments, "--out", str(out), "--quiet"], words)
    assert not out.exists()
    with pytest.raises(_WouldRun):
        main(["finetune", WORM, "--epochs", "1", "--out", str(out), "--quiet"])


@pytest.mark.parametrize("command", [
    ["evolve", "--out", ""], ["pretrain", "--out", ""], ["finetune", WORM, "--epochs", "1", "--out", ""],
    ["demo", "--out", "", "--generations", "0"], ["evaluate", ""], ["reproduce", "schmidgall2023", "fig3", "--out", " "],
])
def test_an_empty_path_is_refused_and_nothing_lands_in_the_working_directory(tmp_path, monkeypatch, capsys, no_run,
                                                                           command):
    monkeypatch.chdir(tmp_path)
    _refused(capsys, command, "must name a path, got an empty string")
    assert list(tmp_path.iterdir()) == []


def test_zero_episodes_is_refused_not_read_as_the_default(tmp_path, capsys, no_run):
    out = tmp_path / "run"
    _refused(capsys, ["pretrain", "--episodes", "0", "--out", str(out)], "episodes_per_individual must be an integer >= 1")
    assert not out.exists()


@pytest.mark.parametrize("arguments, words", [
    (["--worm", "missing.npz"], "missing.npz"),
    (["--population", "1"], "--population must be an integer >= 2"),
    (["--test-episodes", "0"], "--test-episodes must be an integer >= 1"),
    (["--episode-steps", "0"], "--episode-steps must be an integer >= 1"),
    (["--generations", "-1"], "--generations must be an integer >= 0"),
    (["--test-episodes", "1000000000"], "1000000000 test episodes of 1000 steps needs about"),
])
def test_a_refused_demo_leaves_no_folder(tmp_path, capsys, arguments, words):
    out = tmp_path / "demo"
    _refused(capsys, ["demo", "--out", str(out), *arguments], words)
    assert not out.exists()


def test_ctrl_c_prints_one_line_with_the_resuming_command_and_exits_130(tmp_path, capsys, monkeypatch):
    from neuroworm import cli

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pretraining, "_pretrain", interrupt)
    out = tmp_path / "run"
    assert main(["pretrain", "--out", str(out), "--quiet"]) == 130
    error = capsys.readouterr().err
    assert error == f"neuroworm: interrupted; resume with: neuroworm pretrain --out {out} --quiet --resume\n"
    monkeypatch.setattr(cli, "build_parser", interrupt)  # Ctrl-C during start-up (imports, parsing)
    assert main(["evaluate", "x.npz"]) == 130
    assert capsys.readouterr().err == "neuroworm: interrupted; run it again with: neuroworm evaluate x.npz\n"


def test_a_neural_step_count_that_would_never_finish_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    _refused(capsys, ["evolve", "--neural-steps", str(2**40), "--out", str(out), "--quiet"],
             "neural_steps_per_env_step must be at most 10,000")
    assert not out.exists()


def test_an_overlong_output_path_is_one_short_line(tmp_path, capsys):
    assert main(["evolve", "--out", str(tmp_path / ("x" * 5000)), "--quiet"]) in (1, 2)
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and len(error) < 400 and ("too long" in error or "characters" in error), error


def test_ctrl_c_inside_a_library_import_is_the_same_one_line(monkeypatch, capsys):
    from neuroworm import cli

    def interrupted_import(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None

    def broken_import(*args, **kwargs):
        raise ImportError("no module named nothing")

    monkeypatch.setattr(cli, "build_parser", interrupted_import)
    assert main(["connectomes"]) == 130
    assert capsys.readouterr().err == "neuroworm: interrupted; run it again with: neuroworm connectomes\n"
    monkeypatch.setattr(cli, "build_parser", broken_import)
    with pytest.raises(ImportError, match="no module named nothing"):
        main(["connectomes"])


@pytest.mark.parametrize("command", [["pretrain"], ["finetune", WORM, "--epochs", "1"]])
def test_a_billion_episodes_per_individual_is_refused_before_anything_is_written(tmp_path, capsys, no_run, command):
    out = tmp_path / "run"
    _refused(capsys, [*command, "--episodes", "1000000000", "--out", str(out), "--quiet"], "x 1000000000 episodes")
    assert not out.exists()


def test_evaluate_refuses_a_video_path_in_a_missing_folder_before_running(tmp_path, capsys, monkeypatch):
    from neuroworm.analysis import swim

    def would_run(*args, **kwargs):
        raise _WouldRun

    monkeypatch.setattr(swim, "evaluate_genome", would_run)
    _refused(capsys, ["evaluate", WORM, "--video", str(tmp_path / "missing" / "swim.gif")], "does not exist")
    with pytest.raises(_WouldRun):
        main(["evaluate", WORM, "--video", str(tmp_path / "swim.gif")])
