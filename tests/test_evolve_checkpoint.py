"""Checkpoints of evolution runs: atomic writes, exact resumption, refusal of bad files."""

import os
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
from neuroworm.evolve import CMAES, EliteGA, OpenAIES, read_checkpoint, run
from neuroworm.evolve.objectives import Noisy, sphere

REPOSITORY = Path(neuroworm.__file__).resolve().parent.parent


def small_ga(**overrides):
    parameters = {"population_size": 24, "n_elites": 3, "mutation_rate": 0.2, "mutation_decay": 0.99}
    parameters.update(overrides)
    return EliteGA(np.ones(10), **parameters)


def rows(result):
    return [dict(row) for row in result.logbook]


def assert_same_result(resumed, uninterrupted):
    assert rows(resumed) == rows(uninterrupted)
    np.testing.assert_array_equal(resumed.best, uninterrupted.best)
    assert resumed.best_fitness == uninterrupted.best_fitness
    np.testing.assert_array_equal(np.stack(resumed.population), np.stack(uninterrupted.population))


@pytest.mark.parametrize(
    "make_strategy",
    [small_ga, lambda: OpenAIES(np.ones(10), population_size=20), lambda: CMAES(np.ones(10), sigma=0.3)],
    ids=["elite_ga", "openai_es", "cma_es"],
)
def test_resumed_run_equals_uninterrupted_run(tmp_path, make_strategy):
    path = tmp_path / "run.ckpt"
    uninterrupted = run(make_strategy(), sphere, generations=12, seed=5, progress=False)
    first = run(make_strategy(), sphere, generations=5, seed=5, checkpoint=path, progress=False)
    assert read_checkpoint(path)["generation"] == 5 and first.generations == 5
    resumed = run(make_strategy(), sphere, generations=12, seed=5, checkpoint=path, resume=True,
                  progress=False)
    assert_same_result(resumed, uninterrupted)
    assert read_checkpoint(path)["generation"] == 12


def test_checkpoints_are_written_every_n_generations_atomically(tmp_path):
    path = tmp_path / "nested" / "run.ckpt"
    written = []

    def evaluate(genomes):
        written.append(read_checkpoint(path)["generation"] if path.exists() else None)
        return sphere(genomes)

    run(small_ga(), evaluate, generations=7, seed=0, checkpoint=path, checkpoint_every=3, progress=False)
    assert written == [None, None, None, 3, 3, 3, 6]
    assert read_checkpoint(path)["generation"] == 7  # the last generation is always saved
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
    assert state["generation"] == 3 and state["pending"]
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
    killed_at = read_checkpoint(path)["generation"]
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
        (lambda data: data[:-100] + bytes(100), "checksum"),
        (lambda data: b"garbage" * 20, "not a neuroworm checkpoint"),
        (lambda data: b"", "truncated"),
    ],
    ids=["half", "header", "flipped", "garbage", "empty"],
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
