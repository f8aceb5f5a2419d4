"""The controller: encoder and decoder formulas, bounds, batching, and what it refuses."""

import numpy as np
import pytest

from neuroworm.control import DEFAULT_NEURAL_STEPS_PER_ENV_STEP, Controller, default_neural_steps
from neuroworm.errors import ConfigError, GenomeError, TaskError
from neuroworm.genome import GenomeLayout


@pytest.fixture
def layout(small_circuit):
    return GenomeLayout(small_circuit, "alif", n_observations=5, n_actions=3)


def make_controller(layout, K=4, gain=1.0, low=(-1.0, -1.0, -1.0), high=(1.0, 1.0, 1.0)):
    return Controller(layout, low, high, neural_steps_per_env_step=K, input_gain=gain)


def test_encode_is_gain_times_tanh_of_observations_through_encoder(layout):
    genomes = layout.random(4, seed=0)
    controller = make_controller(layout, gain=2.5)
    controller.load(genomes)
    observations = np.random.default_rng(1).normal(size=(4, 5))
    encoder = layout.decode(genomes)["encoder"]
    expected = 2.5 * np.tanh(np.einsum("po,poi->pi", observations, encoder))
    np.testing.assert_allclose(controller.encode(observations), expected, rtol=1e-14, atol=1e-15)
    assert controller.encode(observations).shape == (4, len(layout.circuit.inputs))


def test_decode_maps_rates_into_the_action_bounds(layout):
    genomes = layout.random(3, seed=2)
    genomes[:, layout.slices["decoder"]] *= 50  # saturate the tanh
    low, high = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 0.5, 6.0])
    controller = make_controller(layout, K=5, low=low, high=high)
    controller.load(genomes)
    counts = np.random.default_rng(3).integers(0, 6, size=(3, len(layout.circuit.outputs))).astype(float)
    actions = controller.decode(counts)
    decoder = layout.decode(genomes)["decoder"]
    expected = (low + high) / 2 + (high - low) / 2 * np.tanh(np.einsum("po,poa->pa", counts / 5, decoder))
    np.testing.assert_allclose(actions, expected, rtol=1e-14, atol=1e-15)
    assert (actions >= low).all() and (actions <= high).all()


def test_silent_outputs_give_the_centre_of_the_bounds(layout):
    controller = make_controller(layout, low=(-1, 0, 2), high=(1, 0.5, 6))
    controller.load(layout.random(2, seed=0))
    actions = controller.decode(np.zeros((2, len(layout.circuit.outputs))))
    np.testing.assert_array_equal(actions, np.tile([0.0, 0.25, 4.0], (2, 1)))


def test_batched_equals_one_at_a_time(layout):
    genomes = layout.random(5, seed=4)
    rng = np.random.default_rng(5)
    observations = rng.normal(size=(5, 5))
    counts = rng.integers(0, 5, size=(5, len(layout.circuit.outputs))).astype(float)
    together = make_controller(layout)
    together.load(genomes)
    currents, actions = together.encode(observations), together.decode(counts)
    for k in range(5):
        alone = make_controller(layout)
        alone.load(genomes[k])
        np.testing.assert_array_equal(alone.encode(observations[k:k + 1])[0], currents[k])
        np.testing.assert_array_equal(alone.decode(counts[k:k + 1])[0], actions[k])


def test_mismatched_action_space_is_a_task_error(layout):
    with pytest.raises(TaskError, match="decoder gives 3 actions"):
        Controller(layout, [-1, -1], [1, 1], 4)


def test_infinite_or_inverted_bounds_are_task_errors(layout):
    with pytest.raises(TaskError, match="finite"):
        Controller(layout, [-np.inf, -1, -1], [1, 1, 1], 4)
    with pytest.raises(TaskError, match="low < high"):
        Controller(layout, [1, -1, -1], [1, 1, 1], 4)


def test_wrong_shapes_and_genomes(layout):
    controller = make_controller(layout)
    with pytest.raises(GenomeError, match="no genomes"):
        controller.encode(np.zeros((2, 5)))
    with pytest.raises(GenomeError, match="length"):
        controller.load(np.zeros((2, layout.size + 1)))
    genomes = layout.random(2, seed=0)
    genomes[1, layout.slices["decoder"].start] = np.nan
    with pytest.raises(GenomeError, match="decoder"):
        controller.load(genomes)
    controller.load(layout.random(2, seed=0))
    with pytest.raises(TaskError, match="observations must have shape"):
        controller.encode(np.zeros((2, 6)))
    with pytest.raises(TaskError, match="spike_counts must have shape"):
        controller.decode(np.zeros((3, len(layout.circuit.outputs))))


@pytest.mark.parametrize("K", [0, -1, 2.5, True, "4"])
def test_bad_neural_steps_are_config_errors(layout, K):
    with pytest.raises(ConfigError, match="neural_steps_per_env_step"):
        make_controller(layout, K=K)


def test_bad_gain_is_a_config_error(layout):
    with pytest.raises(ConfigError, match="input_gain"):
        make_controller(layout, gain=np.nan)


def test_default_neural_steps_per_model():
    assert default_neural_steps("alif") == DEFAULT_NEURAL_STEPS_PER_ENV_STEP["alif"] == 4
    assert default_neural_steps("lif") == 4
    assert default_neural_steps("izhikevich") == 10
    with pytest.raises(ConfigError):
        default_neural_steps("hodgkin-huxley")
