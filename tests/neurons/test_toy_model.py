"""A neuron model is one class and one registration: a toy model defined here runs everywhere.

The toy is a leaky integrate-and-fire cell that resets by subtraction (its
membrane keeps what it had above threshold), a model neuroworm does not
ship. Registered from this file, with no other edit, it runs in Brian2, in
the NumPy reference (bit for bit alike) and in the closed loop, and every
per-model table reads its facts.
"""

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from neuroworm.backends.reference import ReferenceNetwork
from neuroworm.control import DEFAULT_NEURAL_STEPS_PER_ENV_STEP, ClosedLoopEvaluator, default_neural_steps
from neuroworm.errors import ConfigError
from neuroworm.genome import INITIAL_LOG_WEIGHTS, GenomeLayout, paper_initial_values
from neuroworm.neurons import LIF, NeuronModel, get_model, model_names, register_model, unregister_model
from neuroworm.openloop import DEFAULT_BACKEND, DEFAULT_STEPS

TASK = "Pendulum-v1"  # Box spaces, no MuJoCo


@dataclass(frozen=True)
class SubtractiveLIF(NeuronModel):
    """``v ← γ·v + I_chem + I_gap + input_scale·I_ext``; spike at ``v ≥ v_threshold``; then ``v ← v - v_threshold``."""

    name: ClassVar[str] = "toy_subtractive"
    aliases: ClassVar[tuple] = ("toy",)
    neural_steps_per_env_step: ClassVar[int] = 3
    open_loop_steps: ClassVar[int] = 7
    tunable_constants: ClassVar[tuple] = ("v_threshold",)
    initial_log_weights: ClassVar[tuple] = (-2.0, -1.0)
    state_variables: ClassVar[tuple] = ("v",)
    per_neuron_parameters: ClassVar[tuple] = ("v_threshold", "input_scale")
    update: ClassVar[str] = "v = gamma_v*v + I_chem + I_gap + input_scale*I_ext\nI_chem = 0"
    threshold: ClassVar[str] = "v >= v_threshold"
    reset: ClassVar[str] = "v = v - v_threshold"

    v_threshold: float = 0.8
    tau_membrane_ms: float = 10.0
    input_scale: float = 1.0

    def constants(self, dt_ms):
        return {"gamma_v": math.exp(-dt_ms / self.tau_membrane_ms), "v_threshold": float(self.v_threshold),
                "input_scale": float(self.input_scale)}

    def numpy_update(self, state, parameter):
        state["v"] = parameter("gamma_v") * state["v"] + state["I_chem"] + state["I_gap"] \
            + parameter("input_scale") * state["I_ext"]

    def numpy_threshold(self, state, parameter):
        return state["v"] >= parameter("v_threshold")

    def numpy_reset(self, state, spikes, parameter):
        state["v"] = np.where(spikes, state["v"] - parameter("v_threshold"), state["v"])


@pytest.fixture
def toy_model():
    register_model(SubtractiveLIF)
    yield "toy_subtractive"
    unregister_model("toy_subtractive")


def test_the_registry_reads_the_toy_models_facts(toy_model, small_circuit):
    assert toy_model in model_names(spiking=True) and isinstance(get_model("TOY"), SubtractiveLIF)
    assert default_neural_steps(toy_model) == DEFAULT_NEURAL_STEPS_PER_ENV_STEP[toy_model] == 3
    assert DEFAULT_STEPS["toy"] == 7 and DEFAULT_BACKEND[toy_model] == "reference"
    assert paper_initial_values(toy_model)["log_weights"] == INITIAL_LOG_WEIGHTS["toy"] == (-2.0, -1.0)
    genomes = GenomeLayout(small_circuit, "toy", per_neuron=("v_threshold",)).random(2, seed=0)
    assert set(genomes[:, small_circuit.n_chemical - 1]) <= {-2.0, -1.0}
    assert np.all(genomes[:, -small_circuit.n_neurons:] == 0.8)


def test_pretraining_tunes_the_toy_models_constants_and_refuses_an_unknown_model(toy_model, small_circuit):
    from neuroworm.pipelines.pretraining import PRETRAINED_NEURON_CONSTANTS, pretraining_layout

    assert pretraining_layout(small_circuit, toy_model, 2, 1).per_neuron == ("v_threshold",)
    assert PRETRAINED_NEURON_CONSTANTS["toy"] == ("v_threshold",) and PRETRAINED_NEURON_CONSTANTS["relu"] == ()
    with pytest.raises(ConfigError, match="unknown neuron model 'hodgkin'"):
        pretraining_layout(small_circuit, "hodgkin", 2, 1)  # no silent fall-back to tuning nothing


def test_saved_genomes_run_on_their_models_backend(toy_model):
    from neuroworm.analysis.swim import _default_backend

    assert _default_backend(toy_model) == "reference" and _default_backend("toy", "brian2") == "brian2"
    assert _default_backend("artificial", "brian2") == "relu"  # a rate model runs on its own backend


def test_unregistering_forgets_the_model(toy_model):
    unregister_model(toy_model)
    assert toy_model not in model_names() and "toy" not in model_names(aliases=True)
    with pytest.raises(ConfigError, match="unknown neuron model 'toy'"):
        get_model("toy")
    register_model(SubtractiveLIF)  # for the fixture's teardown


def test_registration_refuses_a_taken_name_and_untunable_constants():
    @dataclass(frozen=True)
    class Impostor(LIF):
        name: ClassVar[str] = "alif"

    with pytest.raises(ConfigError, match="'alif' is taken"):
        register_model(Impostor)

    @dataclass(frozen=True)
    class Untunable(LIF):
        name: ClassVar[str] = "untunable"
        tunable_constants: ClassVar[tuple] = ("tau_membrane_ms",)

    with pytest.raises(ConfigError, match="tunable_constants"):
        register_model(Untunable)
    with pytest.raises(ConfigError, match="subclass of NeuronModel"):
        register_model(dict)


def test_the_toy_model_runs_in_brian2_as_in_the_reference_bit_for_bit(toy_model, small_circuit):
    pytest.importorskip("brian2")
    from neuroworm.brian import build_network

    P, T = 3, 300
    genomes = GenomeLayout(small_circuit, toy_model).random(P, seed=2, weight_noise=0.5)
    drive = np.random.default_rng(0).uniform(0.0, 0.6, (T, P, len(small_circuit.inputs)))
    reference = ReferenceNetwork(small_circuit, toy_model, P, genomes)
    network = build_network(small_circuit, toy_model, P, genomes, codegen="numpy")
    expected, expected_v = reference.run(drive, record=("v",))
    spikes, v = network.run(drive, record=("v",))
    assert 0.01 < expected.mean() < 0.9, "the drive should make the toy spike, but not saturate"
    np.testing.assert_array_equal(spikes, expected)
    np.testing.assert_array_equal(v["v"], expected_v["v"])
    # reset by subtraction, not to 0: a cell that fired keeps what it had above threshold
    after_reset = expected_v["v"][expected.astype(bool)]
    assert (after_reset >= 0).all() and (after_reset > 0).mean() > 0.5


def test_the_toy_model_runs_the_closed_loop_on_both_backends(toy_model, small_circuit):
    pytest.importorskip("brian2")
    returns = {}
    for backend, options in (("reference", {}), ("brian2", {"codegen": "numpy"})):
        evaluator = ClosedLoopEvaluator(small_circuit, toy_model, TASK, backend=backend, episode_steps=20, seed=3,
                                        input_gain=3.0, backend_options=options)
        assert evaluator.neural_steps_per_env_step == 3
        genomes = evaluator.layout.random(3, seed=7, weight_noise=0.3)
        genomes[:, evaluator.layout.slices["encoder"]] *= 10.0
        returns[backend] = evaluator(genomes)
        evaluator.close()
    assert np.isfinite(returns["reference"]).all() and np.ptp(returns["reference"]) > 0
    np.testing.assert_array_equal(returns["brian2"], returns["reference"])


def test_the_toy_model_runs_the_open_loop_with_its_own_steps(toy_model, small_circuit):
    from neuroworm.openloop import OpenLoopEvaluator

    rng = np.random.default_rng(0)
    images, labels = rng.uniform(0, 1, (6, 5)), np.arange(6) % 3
    evaluator = OpenLoopEvaluator(small_circuit, "toy", images, labels, input_gain=3.0)
    assert (evaluator.steps, evaluator.backend) == (7, "reference")
    genomes = evaluator.layout.random(2, seed=0)
    rates = evaluator.output_rates(genomes, images)
    assert rates.shape == (2, 6, len(small_circuit.output_index))
    counts = rates * 7  # spike counts over T = 7 steps
    assert np.isfinite(rates).all() and np.allclose(counts, np.round(counts)) and rates.max() > 0
