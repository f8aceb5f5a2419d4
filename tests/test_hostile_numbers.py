"""Every number means what it says (issue 24): NaN, inf, fractions, complex numbers and strings that look like
booleans are refused with an error naming the parameter, never truncated, dropped or read as something else."""

import json
import pickle

import numpy as np
import pytest

from neuroworm.errors import ConfigError, DatasetFileError, GenomeError, TaskError
from neuroworm.evolve import CMAES, EliteGA, OpenAIES, run
from neuroworm.resources import bundled_path


def sphere(genomes):
    return -np.sum(np.asarray(genomes) ** 2, axis=1)


@pytest.mark.parametrize("make, words", [
    (lambda: OpenAIES(np.ones(4), population_size=4, sigma=float("nan")), "sigma must be a finite number"),
    (lambda: OpenAIES(np.ones(4), population_size=4, sigma=float("inf")), "sigma must be a finite number"),
    (lambda: OpenAIES(np.ones(4), population_size=4, learning_rate=float("nan")), "learning_rate must be a finite"),
    (lambda: OpenAIES(np.ones(4), population_size=4.0), "population_size must be an integer"),
    (lambda: OpenAIES(np.ones(4) + 1j, population_size=4), "center must hold real numbers, got complex128"),
    (lambda: EliteGA(np.ones(4), population_size=8, n_elites=2, mutation_rate=float("nan")), "mutation_rate"),
    (lambda: EliteGA(np.ones(4), population_size=8.5, n_elites=2), "population_size must be an integer"),
    (lambda: EliteGA(np.ones(4), population_size=8, n_elites=True), "n_elites must be an integer"),
    (lambda: EliteGA(np.ones(4) * 1j, population_size=8, n_elites=2), "initial must hold real numbers"),
    (lambda: CMAES(np.ones(4), sigma=float("nan")), "sigma must be a finite number > 0, got nan"),
    (lambda: CMAES(np.ones(4), sigma=0.3, population_size=6.5), "population_size must be an integer >= 2"),
    (lambda: CMAES(np.ones(4) + 1j, sigma=0.3), "centroid must hold real numbers"),
])
def test_strategy_parameters_are_refused_not_truncated(make, words):
    with pytest.raises(ConfigError, match=words):
        make()


def test_run_refuses_fractional_generations_and_an_infinite_fitness():
    with pytest.raises(ConfigError, match="generations must be an integer >= 0, got 1.5"):
        run(EliteGA(np.ones(4), population_size=8, n_elites=2), sphere, generations=1.5, progress=False)

    def cheat(genomes):
        fitness = sphere(genomes)
        fitness[1] = np.inf
        return fitness

    with pytest.raises(ConfigError, match=r"\+inf fitness for individual 1"):
        run(EliteGA(np.ones(4), population_size=8, n_elites=2), cheat, generations=1, progress=False)


def test_a_complex_genome_is_refused(small_circuit):
    from neuroworm.genome import GenomeLayout

    layout = GenomeLayout(small_circuit, "alif")
    with pytest.raises(GenomeError, match="a genome must hold real numbers, got complex128"):
        layout.validate(np.zeros(layout.size) + 1j)


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1j])
def test_batched_swimmers_refuse_non_finite_actions(bad):
    from neuroworm.tasks import make_vec

    envs = make_vec("Swimmer-v5", 3)
    envs.reset(seed=0)
    actions = np.zeros((3, 2), dtype=np.asarray(bad).dtype)
    actions[2, 1] = bad
    with pytest.raises(TaskError, match="actions must"):
        envs.step(actions)
    envs.close()


def test_tmaze_refuses_fractional_actions():
    from neuroworm.tasks.tmaze import TMazeVectorEnv

    envs = TMazeVectorEnv(num_envs=2)
    envs.reset(seed=0)
    with pytest.raises(ConfigError, match="actions must be integers"):
        envs.step(np.array([1.5, 0.0]))
    envs.step(np.array([1, 0]))


def test_cifar_refuses_fractional_labels(tmp_path):
    from neuroworm.tasks.cifar10 import read_batch

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1.5, 2.0]}, protocol=2))
    with pytest.raises(DatasetFileError, match="labels' must be a list of ints, found float64"):
        read_batch(path)


def _tampered_worm(tmp_path, **changes):
    source = np.load(bundled_path("models", "alif_swimmer_v5.npz"), allow_pickle=False)
    contents = {key: source[key] for key in source.files}
    settings = json.loads(str(contents["settings"]))
    genome = changes.pop("genome", None)
    settings.update(changes)
    contents["settings"] = np.array(json.dumps(settings))
    if genome is not None:
        contents["genome"] = genome(contents["genome"])
    path = tmp_path / "worm.npz"
    np.savez(path, **contents)
    return path


@pytest.mark.parametrize("changes, words", [
    ({"gap_junctions": "no"}, "setting 'gap_junctions' must be true or false, got 'no'"),
    ({"episode_steps": 2.5}, "setting 'episode_steps' must be an integer >= 1, got 2.5"),
    ({"episode_steps": "1000"}, "setting 'episode_steps' must be an integer"),
    ({"task": 7}, "setting 'task' must be a string"),
    ({"task": None}, "setting 'task' must be a string, got None"),
    ({"episode_steps": None}, "setting 'episode_steps' must be an integer >= 1, got None"),
    ({"genome": lambda genome: genome + 1j}, "genome must hold real numbers"),
])
def test_wrongly_typed_worm_settings_are_clear_errors(tmp_path, changes, words):
    from neuroworm.worm_file import read_worm_file

    with pytest.raises(ConfigError, match=words):
        read_worm_file(_tampered_worm(tmp_path, **changes))


def test_an_episode_longer_than_the_time_limit_is_honoured_or_refused(small_circuit):
    from neuroworm.control import ClosedLoopEvaluator

    evaluator = ClosedLoopEvaluator(small_circuit, "alif", "Swimmer-v5", backend="reference", episode_steps=1010,
                                    neural_steps_per_env_step=1)
    assert evaluator.env_kwargs["max_episode_steps"] == 1010
    _, record = evaluator.rollout(np.zeros((1, evaluator.layout.size)), seeds=[0], record=True)
    assert np.asarray(record.rewards).shape[-1] == 1010 or np.asarray(record.rewards).shape[0] == 1010
    with pytest.raises(ConfigError, match="longer than CartPole-v1's time limit of 500"):
        ClosedLoopEvaluator(small_circuit, "alif", "CartPole-v1", backend="reference", episode_steps=501)
    with pytest.raises(ConfigError, match="gap_junctions must be true, false or None, got 'no'"):
        ClosedLoopEvaluator(small_circuit, "alif", "Swimmer-v5", backend="reference", gap_junctions="no")
