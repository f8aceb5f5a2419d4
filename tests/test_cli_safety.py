"""The command line refuses bad runs with one line, changes nothing when it refuses, and never runs checkpoint code."""

import hashlib
import json
import pickle
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroworm.cli import main
from neuroworm.evolve.checkpoint import LEGACY_PICKLE_MAGIC
from neuroworm.pipelines import evolve as controller_evolution
from neuroworm.pipelines.evolve import EvolutionSettings
from neuroworm.pipelines.run_folder import LOCK_NAME, check_output_folder, require_memory

TINY = ["--population", "4", "--elites", "2", "--episode-steps", "20", "--neural-steps", "2", "--seed", "3", "--quiet"]


class _WouldRun(Exception):
    """Raised in place of the simulation: every check passed and the run would start."""


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise _WouldRun

    monkeypatch.setattr(controller_evolution, "_evolve", refuse)


def tree(folder):
    """Every file under ``folder`` with its bytes (None if the folder does not exist)."""
    if not folder.exists():
        return None
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--elites", "10", "--population", "4"], "elites must be in"),
        (["--processes", "0"], "processes must be an integer >= 1"),
        (["--processes", "-2"], "processes must be an integer >= 1"),
        (["--strategy", "cma", "--population", "1"], "at least 2 for CMA-ES"),
        (["--strategy", "es", "--population", "5"], "even"),
        (["--seed", "-1"], "seed must be an integer >= 0"),
        (["--checkpoint-every", "0"], "checkpoint_every"),
        (["--dask", "nowhere"], "scheduler address"),
        (["--dask", "local", "--processes", "2"], "either dask or processes"),
        (["--population", "100000000000"], "GiB of memory"),
        (["--connectome", "no_such_worm"], "no_such_worm"),
    ],
)
def test_bad_runs_are_refused_with_one_line_and_nothing_written(tmp_path, capsys, no_simulation, arguments, message):
    out = tmp_path / "run"
    assert main(["evolve", "--out", str(out), *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("neuroworm: error:") and message in error and "Traceback" not in error
    assert not out.exists()


def test_out_naming_a_file_or_an_unwritable_place_is_refused(tmp_path, capsys, no_simulation):
    a_file = tmp_path / "results.txt"
    a_file.write_text("mine")
    assert main(["evolve", "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["evolve", "--out", str(a_file / "below")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert a_file.read_text() == "mine"
    # /proc refuses new files even to root: a read-only location that permissions cannot fake
    assert main(["evolve", "--out", "/proc/neuroworm-run"]) == 2
    assert "cannot be written" in capsys.readouterr().err


def test_read_only_folder_is_refused(tmp_path, monkeypatch):
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(Exception, match="Read-only file system"):
        check_output_folder(tmp_path)


def test_memory_estimate_names_what_is_needed():
    with pytest.raises(Exception, match=r"a population of 9 needs about 2 GiB of memory, but only 1 GiB"):
        require_memory(2 * 2**30, "a population of 9", available=2**30)
    require_memory(2**30, "a population of 9", available=2**31)


def _existing_run(folder, **settings_overrides):
    folder.mkdir()
    settings = {**EvolutionSettings.from_paper().__dict__, "population": 4, "elites": 2, "episode_steps": 20,
                "neural_steps_per_env_step": 2, "seed": 3, **settings_overrides}
    (folder / "settings.json").write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    (folder / "checkpoint.npz").write_bytes(b"PK\x03\x04 a checkpoint")
    return tree(folder)


def test_a_refused_run_changes_nothing_on_disk(tmp_path, capsys, no_simulation):
    out = tmp_path / "run"
    before = _existing_run(out)
    # a new run into an existing run's folder
    assert main(["evolve", "--generations", "3", "--out", str(out), *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert tree(out) == before
    # a resumed run with other settings
    assert main(["evolve", "--generations", "3", "--out", str(out), "--resume", *TINY[:-3], "--seed", "4"]) == 2
    assert "cannot resume with different settings" in capsys.readouterr().err
    assert tree(out) == before
    # the original settings are still accepted
    with pytest.raises(_WouldRun):
        main(["evolve", "--generations", "3", "--out", str(out), "--resume", *TINY])


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path, capsys, no_simulation):
    from filelock import FileLock

    out = tmp_path / "run"
    out.mkdir()
    with FileLock(out / LOCK_NAME, timeout=0):  # another run holds the folder
        assert main(["evolve", "--out", str(out), *TINY]) == 2
    assert "in use by another neuroworm run" in capsys.readouterr().err
    assert not (out / "settings.json").exists()
    with pytest.raises(_WouldRun):  # released: the folder can be used
        main(["evolve", "--out", str(out), *TINY])


class _WritesMarker:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("name", ["checkpoint.npz", "checkpoint.pkl"])
def test_resume_never_runs_a_planted_pickle(tmp_path, capsys, monkeypatch, name):
    out, marker = tmp_path / "run", tmp_path / "code-ran"
    _existing_run(out)
    (out / "checkpoint.npz").unlink()
    payload = pickle.dumps({"fingerprint": {}, "strategy": _WritesMarker(marker)})
    (out / name).write_bytes(
        LEGACY_PICKLE_MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest() + payload
    )
    code = main(["evolve", "--generations", "3", "--out", str(out), "--resume", *TINY])
    error = capsys.readouterr().err
    assert code == 2 and "pickle" in error, error
    assert not marker.exists()


@pytest.mark.mujoco
def test_resume_cannot_mix_episode_lengths_even_without_settings_json(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["evolve", "--generations", "1", "--out", str(out), *TINY]) == 0
    (out / "settings.json").unlink()
    longer = [*TINY[:4], "--episode-steps", "40", *TINY[6:]]
    assert main(["evolve", "--generations", "2", "--out", str(out), "--resume", *longer]) == 2
    error = capsys.readouterr().err
    assert "settings.episode_steps: checkpoint has 20, this run has 40" in error


# --- property test: whatever the arguments, a failure is one line and a non-zero exit ---------------------------

_WORDS = st.sampled_from(
    ["evolve", "connectomes", "connectome", "info", "white1986", "evaluate", "--episodes", "--json", "--population", "--elites", "--generations",
     "--episode-steps", "--neural-steps", "--seed", "--processes", "--strategy", "--model", "--circuit", "--task",
     "--backend", "--dask", "--checkpoint-every", "--connectome", "--resume", "--citations", "--quiet", "ga", "es",
     "cma", "lif", "alif", "izhikevich", "Swimmer-v5", "HalfCheetah-v5", "local", "tcp://", "-1", "0", "1", "2", "3",
     "7", "1e3", "nan", "10000000000", "99999999999999999999", ""]
)
_TEXT = st.text(alphabet=string.printable + "\x00é", max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.one_of(_WORDS, _TEXT), max_size=9), out_kind=st.sampled_from(["new", "file", "proc", None]))
def test_any_arguments_end_in_a_clean_error_or_a_run(tmp_path_factory, monkeypatch, capsys, words, out_kind):
    monkeypatch.setattr(controller_evolution, "_evolve", lambda *args, **kwargs: (_ for _ in ()).throw(_WouldRun()))
    folder = tmp_path_factory.mktemp("property")
    if out_kind is not None:
        target = {"new": folder / "run", "file": folder / "file", "proc": "/proc/neuroworm"}[out_kind]
        if out_kind == "file":
            target.write_text("x")
        words = [*words, str(target)] if words[:1] == ["evaluate"] else [*words, "--out", str(target)]
    if words and words[0] not in ("evolve", "connectomes", "connectome", "evaluate"):
        words = ["evolve", *words]
    capsys.readouterr()  # forget earlier examples' output
    try:
        code = main(words)
    except SystemExit as exit_:  # argparse: usage error (2) or --help (0)
        assert exit_.code in (0, 2)
        return
    except _WouldRun:
        return
    captured = capsys.readouterr()
    if code != 0:
        lines = captured.err.strip().splitlines()
        assert lines and lines[0].startswith("neuroworm: error:"), captured.err
        assert "Traceback" not in captured.err
    assert np.isscalar(code)


def test_evaluate_refuses_a_genome_of_strings(tmp_path, capsys):
    from dataclasses import asdict

    path = tmp_path / "best_genome.npz"
    np.savez(path, genome=np.array(["0.1", "x"]), fitness=1.0, settings=json.dumps(asdict(EvolutionSettings())),
             slices="{}")
    assert main(["evaluate", str(path)]) == 2
    error = capsys.readouterr().err
    assert "field 'genome' must hold numbers" in error and "Traceback" not in error


@pytest.mark.parametrize(
    "error, code, message",
    [
        (OSError(28, "No space left on device", "/runs/x/logbook.csv"), 1, "/runs/x/logbook.csv No space left"),
        (MemoryError("Unable to allocate 74.5 GiB for an array"), 1, "out of memory (Unable to allocate 74.5 GiB"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_operating_system_errors_become_one_line(capsys, error, code, message):
    from neuroworm.cli import _run_reporting_errors

    def handler(args):
        raise error

    assert _run_reporting_errors(handler, None) == code
    assert message in capsys.readouterr().err


def test_a_full_disk_while_checkpointing_is_one_line(tmp_path, capsys, monkeypatch):
    import errno

    from neuroworm.evolve import checkpoint

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", full_disk)
    monkeypatch.setattr(controller_evolution, "_evolve", lambda *a, **k: checkpoint.write_checkpoint(
        tmp_path / "run" / "checkpoint.npz", {"generation": 1}))
    assert main(["evolve", "--out", str(tmp_path / "run"), *TINY]) == 2
    error = capsys.readouterr().err
    assert "No space left on device" in error and "Traceback" not in error
