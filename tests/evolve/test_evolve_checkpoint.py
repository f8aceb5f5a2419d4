"""Checkpoints of evolution runs: atomic writes, exact resumption, refusal of bad files."""

import errno
import hashlib
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import neuroworm
from neuroworm.errors import CheckpointError
from neuroworm.evolve import CMAES, EliteGA, OpenAIES, read_checkpoint, run, write_checkpoint
from neuroworm.evolve.checkpoint import LEGACY_PICKLE_MAGIC
from neuroworm.evolve.objectives import Noisy, sphere
from neuroworm.evolve.strategy import Strategy

REPOSITORY = Path(neuroworm.__file__).resolve().parent.parent


def small_ga(**overrides):
    parameters = {"population_size": 24, "n_elites": 3, "mutation_rate": 0.2, "mutation_decay": 0.99}
    parameters.update(overrides)
    return EliteGA(np.ones(10), **parameters)


def rows(result):
    return [dict(row) for row in result.logbook]


def assert_same_result(resumed, uninterrupted):
    assert rows(resumed) == rows(uninterrupted)
    assert [list(row) for row in rows(resumed)] == [list(row) for row in rows(uninterrupted)]  # column order too
    np.testing.assert_array_equal(resumed.best, uninterrupted.best)
    assert resumed.best_fitness == uninterrupted.best_fitness
    np.testing.assert_array_equal(np.stack(resumed.population), np.stack(uninterrupted.population))


@pytest.mark.parametrize(
    "make_strategy",
    [small_ga, lambda: small_ga(groups={"tail": slice(5, 10), "head": slice(0, 5)}),
     lambda: OpenAIES(np.ones(10), population_size=20), lambda: CMAES(np.ones(10), sigma=0.3)],
    ids=["elite_ga", "elite_ga_groups", "openai_es", "cma_es"],
)
def test_resumed_run_equals_uninterrupted_run(tmp_path, make_strategy):
    path = tmp_path / "run.ckpt"
    uninterrupted = run(make_strategy(), sphere, generations=12, seed=5, progress=False)
    first = run(make_strategy(), sphere, generations=5, seed=5, checkpoint=path, progress=False)
    assert read_checkpoint(path).fields["generation"] == 5 and first.generations == 5
    resumed = run(make_strategy(), sphere, generations=12, seed=5, checkpoint=path, resume=True,
                  progress=False)
    assert_same_result(resumed, uninterrupted)
    assert read_checkpoint(path).fields["generation"] == 12


def test_checkpoints_are_written_every_n_generations_atomically(tmp_path):
    path = tmp_path / "nested" / "run.ckpt"
    written = []

    def evaluate(genomes):
        written.append(read_checkpoint(path).fields["generation"] if path.exists() else None)
        return sphere(genomes)

    run(small_ga(), evaluate, generations=7, seed=0, checkpoint=path, checkpoint_every=3, progress=False)
    assert written == [None, None, None, 3, 3, 3, 6]
    assert read_checkpoint(path).fields["generation"] == 7  # the last generation is always saved
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.ckpt"]  # no temporary files left


def test_keyboard_interrupt_during_evaluation_saves_the_pending_generation(tmp_path):
    path = tmp_path / "run.ckpt"

    class InterruptOnce:
        calls = 0

        def __call__(self, genomes, seeds):
            InterruptOnce.calls += 1
            if InterruptOnce.calls == 4:
                raise KeyboardInterrupt
            return Noisy(sphere, 0.1)(genomes, seeds)

    with pytest.raises(KeyboardInterrupt):
        run(small_ga(), InterruptOnce(), generations=8, seed=1, checkpoint=path, checkpoint_every=100,
            progress=False)
    state = read_checkpoint(path)
    assert state.fields["generation"] == 3 and state.fields["pending"]
    seeds = state.arrays["pending_seeds"]
    write_checkpoint(path, state.fields, {**state.arrays, "pending_seeds": seeds[:-1]})
    with pytest.raises(CheckpointError, match="'pending_seeds' must be .* one per individual"):
        run(small_ga(), Noisy(sphere, 0.1), generations=8, seed=1, checkpoint=path, resume=True, progress=False)
    write_checkpoint(path, state.fields, state.arrays)
    resumed = run(small_ga(), Noisy(sphere, 0.1), generations=8, seed=1, checkpoint=path, resume=True,
                  progress=False)
    uninterrupted = run(small_ga(), Noisy(sphere, 0.1), generations=8, seed=1, progress=False)
    assert_same_result(resumed, uninterrupted)


def test_resume_after_sigkill_equals_uninterrupted_run(tmp_path):
    path = tmp_path / "killed.ckpt"
    script = textwrap.dedent(
        f"""
        import numpy as np
        from neuroworm.evolve import EliteGA, run
        from neuroworm.evolve.objectives import Delayed, sphere
        strategy = EliteGA(np.ones(10), population_size=24, n_elites=3, mutation_rate=0.2, mutation_decay=0.99)
        run(strategy, Delayed(sphere, 0.05), generations=60, seed=8, checkpoint={str(path)!r}, progress=False)
        """
    )
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-c", script], env=environment, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not path.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "no checkpoint appeared within 60 s"
            time.sleep(0.01)
        time.sleep(0.12)  # let it get into the middle of a later generation
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    killed_at = read_checkpoint(path).fields["generation"]
    assert 1 <= killed_at < 60

    resumed = run(small_ga(), sphere, generations=60, seed=8, checkpoint=path, resume=True, progress=False)
    uninterrupted = run(small_ga(), sphere, generations=60, seed=8, progress=False)
    assert_same_result(resumed, uninterrupted)


@pytest.fixture
def checkpoint_file(tmp_path):
    path = tmp_path / "good.ckpt"
    run(small_ga(), sphere, generations=2, seed=3, checkpoint=path, progress=False)
    return path


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[:30], "truncated"),
        (lambda data: data[:-100] + bytes(100), "corrupt"),
        (lambda data: data[:200] + bytes([data[200] ^ 1]) + data[201:], "corrupt"),
        (lambda data: b"garbage" * 20, "not a neuroworm checkpoint"),
        (lambda data: b"", "empty"),
    ],
    ids=["half", "header", "zeroed_tail", "flipped_bit", "garbage", "empty"],
)
def test_damaged_checkpoint_raises_checkpoint_error(checkpoint_file, damage, message):
    checkpoint_file.write_bytes(damage(checkpoint_file.read_bytes()))
    with pytest.raises(CheckpointError, match=message) as error:
        run(small_ga(), sphere, generations=4, seed=3, checkpoint=checkpoint_file, resume=True, progress=False)
    assert str(checkpoint_file) in str(error.value)


@pytest.mark.parametrize(
    "strategy, seed, message",
    [
        (lambda: OpenAIES(np.ones(10), population_size=24), 3, "strategy.strategy"),
        (lambda: EliteGA(np.ones(12), population_size=24, n_elites=3, mutation_rate=0.2, mutation_decay=0.99),
         3, "genome_size"),
        (lambda: small_ga(mutation_rate=0.3), 3, "mutation_rate"),
        (small_ga, 4, "seed"),
    ],
    ids=["other_strategy", "other_genome_size", "other_rate", "other_seed"],
)
def test_checkpoint_of_a_different_run_raises_checkpoint_error(checkpoint_file, strategy, seed, message):
    with pytest.raises(CheckpointError, match=message) as error:
        run(strategy(), sphere, generations=4, seed=seed, checkpoint=checkpoint_file, resume=True, progress=False)
    assert str(checkpoint_file) in str(error.value)


def test_existing_checkpoint_is_never_overwritten_by_a_new_run(checkpoint_file):
    before = checkpoint_file.read_bytes()
    with pytest.raises(CheckpointError, match="resume=True"):
        run(small_ga(), sphere, generations=4, seed=3, checkpoint=checkpoint_file, progress=False)
    assert checkpoint_file.read_bytes() == before


def test_resume_without_a_checkpoint_file_starts_a_new_run_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="no checkpoint"):
        result = run(small_ga(), sphere, generations=2, seed=3, checkpoint=tmp_path / "new.ckpt", resume=True,
                     progress=False)
    assert result.generations == 2


class _WritesMarker:
    """A pickle payload that creates a file when unpickled (what a planted checkpoint would do)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _legacy_pickle_checkpoint(marker):
    """A checkpoint in neuroworm 0.1's format: magic, length, SHA-256 (recomputed by anyone), pickle."""
    payload = pickle.dumps({"fingerprint": {}, "strategy": _WritesMarker(marker)})
    return LEGACY_PICKLE_MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest() + payload


def _object_array_checkpoint(path, marker):
    """A .npz whose member is a pickled object array (numpy writes these when allowed to)."""
    with open(path, "wb") as stream:
        np.savez(stream, __fields__=np.frombuffer(b"{}", dtype=np.uint8),
                 strategy=np.array([_WritesMarker(marker)], dtype=object))


@pytest.mark.parametrize("plant", ["legacy_pickle", "object_array"])
def test_a_planted_checkpoint_never_runs_code(tmp_path, plant):
    path, marker = tmp_path / "checkpoint.npz", tmp_path / "code-ran"
    if plant == "legacy_pickle":
        path.write_bytes(_legacy_pickle_checkpoint(marker))
    else:
        _object_array_checkpoint(path, marker)
    with pytest.raises(CheckpointError, match="pickle") as error:
        run(small_ga(), sphere, generations=4, seed=3, checkpoint=path, resume=True, progress=False)
    assert str(path) in str(error.value)
    with pytest.raises(CheckpointError):
        read_checkpoint(path)
    assert not marker.exists()
    # the file is not touched either
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def _rewrite(path, change):
    """Read a checkpoint, let ``change(fields, arrays)`` edit it, write it back."""
    state = read_checkpoint(path)
    fields, arrays = json.loads(json.dumps(state.fields)), dict(state.arrays)
    change(fields, arrays)
    write_checkpoint(path, fields, arrays)


def _set(key, value):
    def change(fields, arrays):
        target = fields
        *parents, last = key.split(".")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return change


def _set_array(name, value):
    def change(fields, arrays):
        arrays[name] = value
    return change


def _drop_array(name):
    def change(fields, arrays):
        del arrays[name]
    return change


@pytest.mark.parametrize(
    "change, field",
    [
        (_set("generation", -5), "generation"),
        (_set("generation", "five"), "generation"),
        (_set("generation", 1.5), "generation"),
        (_set("generation", True), "generation"),
        (_set("strategy.generation", -1), "strategy.generation"),
        (_set("pending", "yes"), "pending"),
        (_set("evaluation_rng", {"bit_generator": "os.system", "state": {}}), "evaluation_rng"),
        (_set("evaluation_rng", {"bit_generator": "PCG64", "state": "x"}), "evaluation_rng"),
        (_set("strategy.rng", [1, 2]), "strategy.rng"),
        (_set("logbook", [{"gen": "0"}, {}]), "logbook[0]"),
        (_set("logbook", []), "logbook"),
        (_set("fingerprint", "anything"), "fingerprint"),
        (_set("format", "neuroworm-checkpoint/99"), "format"),
        (_set_array("strategy.parents", np.zeros((3, 7))), "strategy.parents"),
        (_set_array("strategy.parents", np.full((3, 10), np.nan)), "strategy.parents"),
        (_set_array("strategy.parents", np.zeros((3, 10), dtype=np.int64)), "strategy.parents"),
        (_set_array("strategy.parent_fitness", np.zeros(5)), "strategy.parent_fitness"),
        (_set_array("population.genomes", np.zeros((2, 10))), "population.genomes"),
        (_set_array("hall_of_fame.fitness", np.array([np.nan])), "hall_of_fame.fitness"),
        (_drop_array("hall_of_fame.genomes"), "hall_of_fame.genomes"),
        (_set_array("population.genomes", np.full((24, 10), np.inf)), "population.genomes"),
        (_set_array("population.fitness", np.full(24, np.nan)), "population.fitness"),
    ],
)
def test_every_field_is_validated_on_load(checkpoint_file, change, field):
    _rewrite(checkpoint_file, change)
    with pytest.raises(CheckpointError, match=re.escape(repr(field))) as error:
        run(small_ga(), sphere, generations=4, seed=3, checkpoint=checkpoint_file, resume=True, progress=False)
    assert str(checkpoint_file) in str(error.value)


@pytest.mark.parametrize(
    "make_strategy, changes",
    [
        (lambda: OpenAIES(np.ones(10), population_size=20),
         [_set_array("strategy.center", np.zeros(3)), _set("strategy.optimizer.steps", -2),
          _set_array("strategy.optimizer.second_moment", -np.ones(10))]),
        (lambda: CMAES(np.ones(10), sigma=0.3),
         [_set("strategy.sigma", -1.0), _set_array("strategy.C", np.eye(3)), _set("strategy.update_count", "1")]),
    ],
    ids=["openai_es", "cma_es"],
)
def test_strategy_state_is_validated_on_load(tmp_path, make_strategy, changes):
    for number, change in enumerate(changes):
        path = tmp_path / f"run{number}.npz"
        run(make_strategy(), sphere, generations=2, seed=3, checkpoint=path, progress=False)
        _rewrite(path, change)
        with pytest.raises(CheckpointError, match="field 'strategy"):
            run(make_strategy(), sphere, generations=4, seed=3, checkpoint=path, resume=True, progress=False)


def test_settings_outside_the_strategy_are_part_of_the_fingerprint(tmp_path):
    path = tmp_path / "run.npz"
    run(small_ga(), sphere, generations=2, seed=3, checkpoint=path, progress=False,
        settings={"episode_steps": 10, "model": "alif"})
    with pytest.raises(CheckpointError, match="settings.episode_steps: checkpoint has 10, this run has 20"):
        run(small_ga(), sphere, generations=4, seed=3, checkpoint=path, resume=True, progress=False,
            settings={"episode_steps": 20, "model": "alif"})
    result = run(small_ga(), sphere, generations=4, seed=3, checkpoint=path, resume=True, progress=False,
                 settings={"episode_steps": 10, "model": "alif"})
    assert result.generations == 4


def test_write_checkpoint_refuses_objects_and_reports_a_full_disk(tmp_path, monkeypatch):
    with pytest.raises(CheckpointError, match="dtype object"):
        write_checkpoint(tmp_path / "a.npz", {}, {"x": np.array([object()])})
    with pytest.raises(CheckpointError, match="JSON"):
        write_checkpoint(tmp_path / "a.npz", {"x": object()})
    path = write_checkpoint(tmp_path / "a.npz", {"generation": 1})
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(CheckpointError, match="No space left on device.*previous checkpoint.*unchanged"):
        write_checkpoint(path, {"generation": 2})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]


def test_a_strategy_without_state_methods_cannot_be_checkpointed(tmp_path):
    class Frozen(EliteGA):
        state = Strategy.state
        load_state = Strategy.load_state

    with pytest.raises(CheckpointError, match="defines no state"):
        run(Frozen(np.ones(4), population_size=6, n_elites=2), sphere, generations=1, seed=0,
            checkpoint=tmp_path / "run.npz", progress=False)
    run(Frozen(np.ones(4), population_size=6, n_elites=2), sphere, generations=1, seed=0, progress=False)
