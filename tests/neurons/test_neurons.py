"""Neuron and synapse models against closed forms and hand computations, in both backends."""

import math

import numpy as np
import pytest

from neuroworm.backends.reference import ReferenceNetwork
from neuroworm.errors import ConfigError
from neuroworm.genome import GenomeLayout
from neuroworm.neurons import (
    ALIF,
    LIF,
    MODEL_NAMES,
    STDP,
    GatedSTDP,
    Izhikevich,
    NeuromodulatedSTDP,
    get_model,
    model_class,
    model_names,
)

BACKENDS = ["reference", "brian"]


def make_network(backend, circuit, model, genomes, **kwargs):
    if backend == "reference":
        return ReferenceNetwork(circuit, model, len(genomes), genomes, **kwargs)
    from neuroworm.brian import build_network

    return build_network(circuit, model, len(genomes), genomes, codegen="numpy", **kwargs)


def test_get_model_names_and_errors():
    assert MODEL_NAMES == ("lif", "alif", "izhikevich")
    assert isinstance(get_model("LIF"), LIF)
    assert get_model("alif", beta=0.7).beta == 0.7
    with pytest.raises(ConfigError, match="lif, alif, izhikevich"):
        get_model("hodgkin_huxley")
    with pytest.raises(ConfigError, match="unknown parameter"):
        get_model("lif", gamma=0.5)


def test_registry_holds_the_papers_models_and_relu_with_its_alias():
    assert model_names() == ("lif", "alif", "izhikevich", "relu")
    assert model_names(spiking=True) == MODEL_NAMES and model_names(spiking=False) == ("relu",)
    assert model_class("artificial") is model_class("ReLU") and get_model("artificial").name == "relu"


@pytest.mark.parametrize("name", model_names())
def test_every_registered_model_states_its_facts(name):
    """What the rest of the package reads per model is there and consistent, for every registered model."""
    from neuroworm.backends import backend_names
    from neuroworm.genome import paper_initial_values

    model = get_model(name)
    assert model.name == name and model_class(name) is type(model)
    assert int(model.neural_steps_per_env_step) >= 1 and int(model.open_loop_steps) >= 1
    assert set(model.tunable_constants) <= set(model.per_neuron_parameters)
    assert {model.default_backend, model.open_loop_backend} <= set(backend_names())
    excitatory, inhibitory = paper_initial_values(name)["log_weights"]
    low, high = paper_initial_values(name)["encoder_decoder_range"]
    assert np.isfinite([excitatory, inhibitory]).all() and low < high
    if model.spiking:
        constants = model.constants(1.0)
        for parameter in model.per_neuron_parameters:
            assert parameter in constants, f"{name}: per-neuron parameter {parameter} has no constant"
        assert model.update and model.threshold and model.reset


def test_paper_defaults():
    alif = get_model("alif").constants(1.0)
    assert alif["gamma_v"] == math.exp(-1 / 20)
    assert alif["gamma_adp"] == math.exp(-1 / 10)
    assert alif["beta"] == 0.5
    izhikevich = Izhikevich()
    assert (izhikevich.a, izhikevich.b, izhikevich.c, izhikevich.d, izhikevich.v_peak) == (0.02, 0.25, -58.0, 0.0, 30.0)
    assert izhikevich.input_scale == 20.0 and izhikevich.readout_scale == 0.2
    assert izhikevich.constants(1.0)["h"] == 1.0
    assert ALIF().parameters()["tau_membrane_ms"][1] == "ms"
    with pytest.raises(ConfigError, match="dt"):
        LIF().constants(0.0)
    with pytest.raises(ConfigError, match="w_min"):
        STDP(w_min=-1.0)


def lif_isi(current, gamma, threshold):
    """First n with I·(1 - γⁿ)/(1 - γ) ≥ v_th: the steps from reset to the next spike."""
    n = 1
    while current * (1 - gamma**n) / (1 - gamma) < threshold:
        n += 1
    return n


@pytest.mark.parametrize("backend", BACKENDS)
def test_lif_interspike_interval_matches_closed_form(backend, make_circuit):
    circuit = make_circuit(4, [], [])
    currents = np.array([0.06, 0.1, 0.3, 1.5])  # one per neuron
    layout = GenomeLayout(circuit, "lif")
    network = make_network(backend, circuit, "lif", layout.random(1, seed=0))
    spikes = network.run(np.broadcast_to(currents, (300, 1, 4)))[:, 0, :]
    gamma = math.exp(-1 / 20)
    for j, current in enumerate(currents):
        n = lif_isi(current, gamma, 1.0)
        times = np.flatnonzero(spikes[:, j])
        np.testing.assert_array_equal(times, np.arange(n - 1, 300, n))


@pytest.mark.parametrize("backend", BACKENDS)
def test_alif_threshold_adapts(backend, make_circuit):
    circuit = make_circuit(1, [], [])
    layout = GenomeLayout(circuit, "alif")
    network = make_network(backend, circuit, "alif", layout.random(1, seed=0))
    spikes, recorded = network.run(np.full((200, 1, 1), 0.5), record=("v_adp",))
    times = np.flatnonzero(spikes[:, 0, 0])
    intervals = np.diff(times)
    assert intervals[-1] > intervals[0]  # adaptation lengthens the interval
    first = times[0]
    assert recorded["v_adp"][first, 0, 0] == 0.5  # β added at the spike
    assert recorded["v_adp"][first + 1, 0, 0] == 0.5 * math.exp(-1 / 10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_izhikevich_one_euler_step_by_hand(backend, make_circuit):
    circuit = make_circuit(2, [], [])
    layout = GenomeLayout(circuit, "izhikevich")
    network = make_network(backend, circuit, "izhikevich", layout.random(1, seed=0))
    x = np.array([[0.1, 0.5]])
    _, recorded = network.run(x[None], record=("v", "u"))
    v0, u0 = -65.0, 0.25 * -65.0
    for j in range(2):
        v1 = v0 + (0.04 * v0 * v0 + 5 * v0 + 140 - u0 + 20.0 * x[0, j])
        u1 = u0 + 0.02 * (0.25 * v0 - u0)
        assert recorded["v"][0, 0, j] == pytest.approx(v1, abs=1e-12)
        assert recorded["u"][0, 0, j] == pytest.approx(u1, abs=1e-12)
    assert recorded["v"][0, 0, 0] == pytest.approx(-62.75)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gap_junction_current_is_g_times_voltage_difference(backend, make_circuit):
    circuit = make_circuit(2, [], [(0, 1)])
    layout = GenomeLayout(circuit, "lif")
    genome = layout.random(1, seed=0)
    genome[0, layout.slices["electrical_log_conductance"]] = math.log(0.1)
    network = make_network(backend, circuit, "lif", genome)
    drive = np.zeros((2, 1, 2))
    drive[0, 0, 0] = 0.5
    _, recorded = network.run(drive, record=("v",))
    gamma, g = math.exp(-1 / 20), 0.1
    assert recorded["v"][0, 0].tolist() == [0.5, 0.0]
    assert recorded["v"][1, 0, 0] == pytest.approx(gamma * 0.5 - g * 0.5, abs=1e-15)
    assert recorded["v"][1, 0, 1] == pytest.approx(g * 0.5, abs=1e-15)


def forced_spikes(pre_times, post_times, T):
    """Drive for a 2-cell circuit that makes cell 0 spike at pre_times and cell 1 at post_times (LIF)."""
    drive = np.zeros((T, 1, 2))
    drive[pre_times, 0, 0] = 5.0
    drive[post_times, 0, 1] = 5.0
    return drive


def stdp_pair_sum(pre_times, post_times, rule):
    total = 0.0
    for t_pre in pre_times:
        for t_post in post_times:
            delta = t_post - t_pre
            if delta > 0:
                total += rule.A_plus * math.exp(-delta / rule.tau_plus_ms)
            elif delta < 0:
                total -= rule.A_minus * math.exp(delta / rule.tau_minus_ms)
    return total


@pytest.mark.parametrize("backend", BACKENDS)
def test_stdp_weight_change_is_the_sum_over_pairs(backend, make_circuit):
    circuit = make_circuit(2, [(0, 1)], [])
    layout = GenomeLayout(circuit, "lif")
    genome = layout.random(1, seed=0)
    genome[0, 0] = math.log(0.1)  # too weak to make cell 1 fire, far from the bounds
    rule = STDP(A_plus=0.01, A_minus=0.012, tau_plus_ms=15.0, tau_minus_ms=25.0)
    pre, post = [10, 50, 52, 90], [20, 45, 60, 91, 130]
    network = make_network(backend, circuit, "lif", genome, stdp=rule)
    spikes = network.run(forced_spikes(pre, post, 160))
    assert np.flatnonzero(spikes[:, 0, 0]).tolist() == pre
    assert np.flatnonzero(spikes[:, 0, 1]).tolist() == post
    change = network.weights[0, 0] - 0.1
    assert change == pytest.approx(stdp_pair_sum(pre, post, rule), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_stdp_keeps_the_dale_sign_of_inhibitory_synapses(backend, make_circuit):
    circuit = make_circuit(2, [(0, 1)], [], signs=[-1, 1])
    layout = GenomeLayout(circuit, "lif")
    genome = layout.random(1, seed=0)
    genome[0, 0] = math.log(0.005)
    rule = STDP(A_plus=0.001, A_minus=0.01)
    network = make_network(backend, circuit, "lif", genome, stdp=rule)
    # post one step before pre, 64 times: each pre spike depresses |w| to the bound w_min = 0
    spikes = network.run(forced_spikes(list(range(5, 198, 3)), list(range(4, 197, 3)), 198))
    assert spikes[:, 0].sum() == 2 * 65
    assert network.weights[0, 0] == 0.0  # -0.0: sign kept, magnitude clipped at 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_neuromodulated_stdp_needs_the_modulator(backend, make_circuit):
    circuit = make_circuit(2, [(0, 1)], [])
    layout = GenomeLayout(circuit, "lif")
    genome = layout.random(1, seed=0)
    genome[0, 0] = math.log(0.01)
    pre, post = [10, 50, 52], [20, 45, 60]
    rule = NeuromodulatedSTDP(tau_eligibility_ms=200.0)
    silent = make_network(backend, circuit, "lif", genome, stdp=rule)
    silent.run(forced_spikes(pre, post, 100))
    initial = layout.effective_weights(genome)[0, 0]
    assert silent.weights[0, 0] == initial  # no modulator, no change

    modulated = make_network(backend, circuit, "lif", genome, stdp=rule)
    modulated.set_modulator(np.array([0.5]))
    modulated.run(forced_spikes(pre, post, 100))
    # w changes by Σ_t M·e(t), with e(t) = γ_e·e(t-1) + (pair updates at t)
    gamma_e = math.exp(-1 / 200.0)
    eligibility, total = 0.0, 0.0
    for t in range(100):
        eligibility += stdp_pair_sum([p for p in pre if p == t], [q for q in post if q < t], rule)
        eligibility += stdp_pair_sum([p for p in pre if p < t], [q for q in post if q == t], rule)
        total += 0.5 * eligibility
        eligibility *= gamma_e
    assert modulated.weights[0, 0] - initial == pytest.approx(total, rel=1e-9)


# ------------------------------------------------------------------ fidelity fixes (issue 8)
@pytest.mark.parametrize("backend", BACKENDS)
def test_izhikevich_initial_recovery_uses_each_neurons_own_b(backend, make_circuit):
    """u(0) = b_j·v(0) (Izhikevich 2003) with b evolved per neuron, not the model's default b."""
    circuit = make_circuit(3, [], [])
    layout = GenomeLayout(circuit, "izhikevich", per_neuron=("b",))
    genomes = layout.random(2, seed=0)
    b = np.array([[0.2, 0.25, 0.3], [0.1, 0.15, 0.35]])
    genomes[:, layout.slices["b"]] = b
    network = make_network(backend, circuit, "izhikevich", genomes, layout=layout)
    u = network.state["u"] if backend == "reference" else network.state("u")
    np.testing.assert_array_equal(u, b * -65.0)
    _, recorded = network.run(np.zeros((1, 2, 3)), record=("u",))   # one Euler step from rest: u += a·(b·v - u) = 0
    np.testing.assert_array_equal(recorded["u"][0], b * -65.0)


def gated_network(backend, make_circuit, rule):
    circuit = make_circuit(2, [(0, 1)], [])
    layout = GenomeLayout(circuit, "lif")
    genome = layout.random(1, seed=0)
    genome[0, 0] = math.log(0.1)  # too weak to make cell 1 fire, far from the bounds
    return make_network(backend, circuit, "lif", genome, stdp=rule)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gated_stdp_follows_equation_3_only_while_the_modulator_is_present(backend, make_circuit):
    rule = GatedSTDP(A_plus=0.01, A_minus=0.012, tau_plus_ms=15.0, tau_minus_ms=25.0)
    pre, post = [10, 50, 52, 90], [20, 45, 60, 91, 130]
    closed = gated_network(backend, make_circuit, rule)
    initial = closed.weights[0, 0]
    closed.run(forced_spikes(pre, post, 160))
    assert closed.weights[0, 0] == initial  # no modulator, no plasticity (and no memory of the pairs)
    for level in (1.0, 0.5):
        gated = gated_network(backend, make_circuit, rule)
        gated.set_modulator(np.array([level]))
        gated.run(forced_spikes(pre, post, 160))
        # eq. 3 summed over all pairs, scaled by the modulator: A+·e^(-Δt/τ+) for Δt > 0, -A-·e^(Δt/τ-) for Δt < 0
        assert gated.weights[0, 0] - initial == pytest.approx(level * stdp_pair_sum(pre, post, rule), rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gated_stdp_with_a_switching_gate_equals_the_mimic_targets_definition(backend, make_circuit):
    mimic = pytest.importorskip("neuroworm.tasks.mimic")
    rule = GatedSTDP(A_plus=0.01, A_minus=0.012, tau_plus_ms=15.0, tau_minus_ms=25.0)
    T = 180
    pre, post = [10, 50, 52, 90, 121, 150], [20, 45, 60, 91, 130, 149]
    gate = np.zeros(T)
    gate[:70] = 1.0
    gate[120:] = 1.0
    network = gated_network(backend, make_circuit, rule)
    initial = network.weights[0, 0]
    drive = forced_spikes(pre, post, T)
    for start, stop in ((0, 70), (70, 120), (120, T)):
        network.set_modulator(np.array([gate[start]]))
        network.run(drive[start:stop])
    trains = np.zeros((2, T))
    trains[0, pre] = 1.0
    trains[1, post] = 1.0
    expected = mimic.gated_stdp(trains[0], trains[1], gate, amplitude_plus=0.01, amplitude_minus=0.012,
                                tau_plus=15.0, tau_minus=25.0, w_initial=initial, w_min=0.0, w_max=100.0)
    assert network.weights[0, 0] == pytest.approx(expected[-1], rel=1e-12)
    assert expected[-1] != pytest.approx(initial + stdp_pair_sum(pre, post, rule), rel=1e-6), "the closed gate matters"


def test_plasticity_names_say_what_each_rule_is():
    from neuroworm.neurons import PLASTICITY_RULES, EligibilitySTDP, get_plasticity

    assert NeuromodulatedSTDP is EligibilitySTDP
    assert type(get_plasticity("neuromodulated")) is EligibilitySTDP
    assert type(get_plasticity("eligibility_stdp")) is EligibilitySTDP
    assert type(get_plasticity("gated_stdp")) is GatedSTDP
    assert set(PLASTICITY_RULES) >= {"stdp", "eligibility_stdp", "gated_stdp"}
    assert "Izhikevich 2007" in EligibilitySTDP.__doc__ and "Bertens & Lee" in GatedSTDP.__doc__
    with pytest.raises(ConfigError, match="gated_stdp"):
        get_plasticity("hebbian")


def test_model_defaults_are_the_experiment_files_values():
    """The paper's neuron constants in models/schmidgall2023.toml and the models' defaults agree."""
    from neuroworm.pipelines import load_experiment_config

    neurons = load_experiment_config("schmidgall2023")["neurons"]
    izhikevich, alif = Izhikevich(), ALIF()
    table = neurons["izhikevich"]
    assert (izhikevich.a, izhikevich.b, izhikevich.c, izhikevich.d) == (table["a"], table["b"], table["c"], table["d"])
    assert izhikevich.v_peak == table["spike_threshold"] and izhikevich.input_scale == table["current_scalar"]
    assert izhikevich.readout_scale == table["voltage_constant_scalar"]
    assert alif.beta == neurons["alif"]["adaptation_constant"]
    assert neurons["alif"]["voltage_decay"] == "exp(-1/20)" and alif.tau_membrane_ms == 20.0
    assert neurons["alif"]["adaptive_threshold_decay"] == "exp(-1/10)" and alif.tau_adaptation_ms == 10.0
