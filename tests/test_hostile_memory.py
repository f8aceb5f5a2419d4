"""One memory estimate before every large allocation sized by a user's number (issue 24).

Each constructor or command is given a size whose arrays would not fit the
memory available and must refuse at once, naming the GiB needed and
available, instead of allocating until ``MemoryError`` (or, for episode
counts, working for minutes first).
"""

import numpy as np
import pytest

from neuroworm import limits
from neuroworm.cli import main
from neuroworm.errors import ConfigError, NeuroWormError
from neuroworm.resources import bundled_path

HUGE = 10**12
GIB = r"needs about [0-9.e+-]+ GiB of memory, but only [0-9.e+-]+ GiB is available"


@pytest.mark.parametrize("make", [
    lambda circuit: __import__("neuroworm.genome", fromlist=["GenomeLayout"]).GenomeLayout(circuit, "alif").random(HUGE),
    lambda circuit: __import__("neuroworm.evolve", fromlist=["OpenAIES"]).OpenAIES(np.ones(8), population_size=HUGE),
    lambda circuit: __import__("neuroworm.evolve", fromlist=["EliteGA"]).EliteGA(np.ones(8), population_size=HUGE,
                                                                                 n_elites=2),
    lambda circuit: __import__("neuroworm.tasks.tmaze", fromlist=["TMazeVectorEnv"]).TMazeVectorEnv(num_envs=HUGE),
    lambda circuit: __import__("neuroworm.tasks", fromlist=["make_vec"]).make_vec("Swimmer-v5", HUGE),
    lambda circuit: __import__("neuroworm.evolve", fromlist=["CMAES"]).CMAES(np.ones(10**6), sigma=0.1),
], ids=["GenomeLayout.random", "OpenAIES", "EliteGA", "TMazeVectorEnv", "batched Swimmer", "CMAES"])
def test_constructors_sized_by_a_number_refuse_with_gib_before_allocating(small_circuit, make):
    with pytest.raises(NeuroWormError, match=GIB):
        make(small_circuit)


def test_a_tensor_network_with_too_many_channels_is_refused():
    from neuroworm.nn.tensor_network import TensorNetwork
    from tests.nn.test_tensor_network import toy_dag

    with pytest.raises(ConfigError, match="a tensor network of 1000000 channels " + GIB):
        TensorNetwork(toy_dag(), 4, 3, channels=10**6)


def test_a_rollout_of_too_many_episodes_is_refused(small_circuit, monkeypatch):
    from neuroworm.control import ClosedLoopEvaluator

    evaluator = ClosedLoopEvaluator(small_circuit, "alif", "Swimmer-v5", backend="reference", episode_steps=100,
                                    neural_steps_per_env_step=1)
    monkeypatch.setattr(limits, "available_memory", lambda: 2**20)  # 1 MiB left
    with pytest.raises(ConfigError, match="64 episodes of 100 steps " + GIB):
        evaluator.rollout(np.zeros((64, evaluator.layout.size)), seeds=list(range(64)), record=True)


def test_evaluate_with_a_billion_episodes_is_refused_at_once(capsys):
    worm = str(bundled_path("models", "alif_swimmer_v5.npz"))
    assert main(["evaluate", worm, "--episodes", "1000000000"]) == 2
    error = capsys.readouterr().err
    assert "1000000000 episodes of 1000 steps needs about" in error and "GiB" in error


def test_the_memory_left_under_ulimit_is_what_require_memory_compares(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 3 * 2**30)
    limits.require_memory(2 * 2**30, "a thing")
    with pytest.raises(ConfigError, match="a thing needs about 4 GiB of memory, but only 3 GiB is available"):
        limits.require_memory(4 * 2**30, "a thing")


def test_the_open_loop_evaluator_refuses_a_population_that_does_not_fit(small_circuit, monkeypatch):
    from neuroworm.openloop import OpenLoopEvaluator

    rng = np.random.default_rng(0)
    evaluator = OpenLoopEvaluator(small_circuit, "relu", rng.random((30, 4)), rng.integers(0, 2, 30), n_classes=2)
    monkeypatch.setattr(limits, "available_memory", lambda: 2**16)
    with pytest.raises(ConfigError, match="500 networks on 30 images " + GIB):
        evaluator(np.zeros((500, evaluator.layout.size)))
