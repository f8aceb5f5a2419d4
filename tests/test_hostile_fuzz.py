"""Property tests (issue 24): any arguments to any subcommand, and any mutation of a checkpoint or worm file,
end in a run, a clean one-line error or argparse's usage message; never a traceback, and a refused command
leaves its new output folder uncreated.

The work a command would do (the simulation, the item, the figures) is replaced by an exception, so an
example that passes every check stops at once; the checks themselves run for real.
"""

import json
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroworm.cli import main
from neuroworm.errors import NeuroWormError
from neuroworm.resources import bundled_path

WORM = str(bundled_path("models", "alif_swimmer_v5.npz"))


class _WouldRun(Exception):
    """Raised in place of the work: every check passed."""


def _would_run(*args, **kwargs):
    raise _WouldRun


@pytest.fixture
def no_work(monkeypatch):
    from neuroworm import plot
    from neuroworm.analysis import swim
    from neuroworm.papers import reproduce
    from neuroworm.pipelines import demo, evolve, pretraining

    for module, name in ((evolve, "_evolve"), (pretraining, "_pretrain"), (pretraining, "_finetune"),
                         (swim, "evaluate_genome"), (demo, "swimming_demo"), (plot, "connectome_matrix"),
                         (reproduce, "reproduce")):
        monkeypatch.setattr(module, name, _would_run)


_COMMANDS = ["evolve", "pretrain", "finetune", "evaluate", "demo", "reproduce", "connectomes", "connectome"]
_WORDS = st.sampled_from([
    *_COMMANDS, "info", "white1986", "WORM", "--episodes", "--episode-steps", "--population", "--generations",
    "--neural-steps", "--seed", "--seeds", "--processes", "--es-population", "--ga-population", "--es-epochs",
    "--finetune-epochs", "--epochs", "--sigma", "--learning-rate", "--test-episodes", "--worm", "--task", "--model",
    "--scale", "--list", "--report", "--data", "--networks", "--resume", "--json", "--quiet", "--common-seeds",
    "schmidgall2023", "beyond", "fig3", "fig5", "vision", "small", "medium", "mnist", "mlp", "Swimmer-v5",
    "Nope-v0", "alif", "-1", "0", "1", "2", "3", "1.5", "1e3", "nan", "inf", "-inf", "10000000000",
    "99999999999999999999", "", " ",
])
_TEXT = st.text(alphabet=string.printable + "\x00é", max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(_COMMANDS), words=st.lists(st.one_of(_WORDS, _TEXT), max_size=8),
       with_out=st.booleans())
def test_any_arguments_to_any_subcommand_end_cleanly(tmp_path_factory, capsys, no_work, command, words, with_out):
    folder = tmp_path_factory.mktemp("fuzz")
    target = folder / "out"
    words = [WORM if word == "WORM" else word for word in words]
    if command in ("finetune", "evaluate"):
        words = [WORM, *words]
    argv = [command, *words, *(["--out", str(target)] if with_out else [])]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse: a usage error (2) or --help (0)
        assert exit_.code in (0, 2)
        return
    except _WouldRun:
        return
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if code != 0:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("neuroworm: error:"), captured.err
        if code == 2 and with_out:
            assert not target.exists(), f"{argv} was refused but made {target}"


# --- mutated files ---------------------------------------------------------------------------------------------

def _mutations():
    values = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                       st.text(max_size=6), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                                                 st.integers(),
                                                                                                 max_size=2))
    return st.lists(st.tuples(st.integers(0, 10**6), values), min_size=1, max_size=3)


def _mutate_json(document, mutations):
    """Replace (or add) fields of a JSON object, at the top or one level down, chosen by index."""
    for index, value in mutations:
        target = document
        nested = [key for key, item in document.items() if isinstance(item, dict)]
        if nested and index % 3 == 0:
            target = document[nested[index % len(nested)]]
        keys = list(target)
        key = keys[index % len(keys)] if keys and index % 5 else f"extra{index}"
        target[key] = value
    return document


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from neuroworm.evolve import EliteGA, run
    from neuroworm.evolve.objectives import sphere

    path = tmp_path_factory.mktemp("checkpoint") / "run.ckpt"
    run(EliteGA(np.ones(4), population_size=6, n_elites=2), sphere, generations=2, seed=1, checkpoint=path,
        progress=False)
    return path


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=_mutations(), array_change=st.sampled_from(["none", "drop", "shape", "dtype", "nan"]))
def test_a_mutated_checkpoint_resumes_or_is_refused_with_a_checkpoint_error(tmp_path_factory, checkpoint,
                                                                           mutations, array_change):
    from neuroworm.evolve import EliteGA, read_checkpoint, run, write_checkpoint
    from neuroworm.evolve.objectives import sphere

    state = read_checkpoint(checkpoint)
    fields = _mutate_json(json.loads(json.dumps(state.fields)), mutations)
    arrays = dict(state.arrays)
    name = sorted(arrays)[mutations[0][0] % len(arrays)]
    if array_change == "drop":
        arrays.pop(name)
    elif array_change == "shape":
        arrays[name] = np.concatenate([arrays[name].ravel(), arrays[name].ravel()])
    elif array_change == "dtype":
        arrays[name] = arrays[name].astype(np.complex128 if arrays[name].dtype.kind == "f" else np.float64)
    elif array_change == "nan" and arrays[name].dtype.kind == "f" and arrays[name].size:
        arrays[name] = arrays[name].copy()
        arrays[name].flat[0] = np.nan
    path = tmp_path_factory.mktemp("mutated") / "run.ckpt"
    try:
        write_checkpoint(path, fields, arrays)
    except (TypeError, ValueError, NeuroWormError):  # not even writable as a checkpoint
        return
    try:
        run(EliteGA(np.ones(4), population_size=6, n_elites=2), sphere, generations=3, seed=1, checkpoint=path,
            resume=True, progress=False)
    except NeuroWormError as error:  # a fingerprint mismatch lists each difference on a line of its own
        assert str(error).startswith(f"checkpoint {path}")


@settings(max_examples=60, deadline=None)
@given(mutations=_mutations(), genome_change=st.sampled_from(["none", "complex", "short", "nan", "text"]))
def test_a_mutated_worm_file_is_read_or_refused_with_a_config_error(tmp_path_factory, mutations, genome_change):
    from neuroworm.worm_file import read_worm_file

    source = np.load(WORM, allow_pickle=False)
    contents = {key: source[key] for key in source.files}
    contents["settings"] = np.array(json.dumps(_mutate_json(json.loads(str(contents["settings"])), mutations)))
    genome = contents["genome"]
    contents["genome"] = {"none": genome, "complex": genome + 1j, "short": genome[:-1],
                          "nan": np.where(np.arange(genome.size) == 0, np.nan, genome),
                          "text": np.array(["x"] * genome.size)}[genome_change]
    path = tmp_path_factory.mktemp("worm") / "worm.npz"
    np.savez(path, **contents)
    try:
        record = read_worm_file(path)
    except NeuroWormError as error:
        assert "\n" not in str(error)
        return
    assert record.genome.dtype == np.float64
