"""GenomeLayout: slices, decoding, Dale's law, the papers' initialisation, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuroworm.errors import ConfigError, GenomeError
from neuroworm.genome import INITIAL_LOG_WEIGHTS, GenomeLayout


def test_slices_cover_the_vector_in_order(small_circuit):
    layout = GenomeLayout(small_circuit, "alif", n_observations=3, n_actions=2, per_neuron=("v_threshold",))
    c = small_circuit
    expected = {
        "chemical_log_weight": c.n_chemical,
        "electrical_log_conductance": c.n_electrical,
        "encoder": 3 * len(c.inputs),
        "decoder": len(c.outputs) * 2,
        "v_threshold": c.n_neurons,
    }
    assert list(layout.slices) == list(expected)
    assert {k: s.stop - s.start for k, s in layout.slices.items()} == expected
    assert layout.size == sum(expected.values())
    stops = [s.start for s in layout.slices.values()][1:] + [layout.size]
    assert [s.stop for s in layout.slices.values()] == stops


def test_decode_shapes_for_one_and_many(small_circuit):
    layout = GenomeLayout(small_circuit, "izhikevich", n_observations=4, n_actions=2, per_neuron=("a",))
    genome = np.arange(layout.size, dtype=float)
    one = layout.decode(genome)
    assert one["encoder"].shape == (4, len(small_circuit.inputs))
    assert one["decoder"].shape == (len(small_circuit.outputs), 2)
    assert one["a"].shape == (small_circuit.n_neurons,)
    start = layout.slices["encoder"].start
    assert one["encoder"][0, 1] == start + 1  # row-major
    many = layout.decode(np.stack([genome, genome + 1]))
    assert many["chemical_log_weight"].shape == (2, small_circuit.n_chemical)
    np.testing.assert_array_equal(many["decoder"][1], one["decoder"] + 1)


def test_effective_weights_are_sign_times_exp(small_circuit):
    layout = GenomeLayout(small_circuit, "alif")
    genomes = np.random.default_rng(0).normal(size=(3, layout.size))
    w = layout.effective_weights(genomes)
    np.testing.assert_array_equal(w, small_circuit.chemical_sign * np.exp(genomes[:, : small_circuit.n_chemical]))


@pytest.mark.parametrize("model", ["alif", "lif", "izhikevich", "relu", "artificial"])
def test_random_uses_the_papers_initial_values(small_circuit, model):
    layout = GenomeLayout(small_circuit, model, n_observations=5, n_actions=3)
    genomes = layout.random(50, seed=1)
    decoded = layout.decode(genomes)
    excitatory, inhibitory = INITIAL_LOG_WEIGHTS[model]
    expected = np.where(small_circuit.chemical_sign > 0, excitatory, inhibitory)
    np.testing.assert_array_equal(decoded["chemical_log_weight"], np.broadcast_to(expected, (50, len(expected))))
    for name in ("encoder", "decoder"):
        assert decoded[name].min() >= -0.3 and decoded[name].max() <= 0.3
        assert decoded[name].std() > 0.1
    np.testing.assert_array_equal(layout.random(4, seed=7), layout.random(4, seed=7))


def test_paper_values_alif_and_izhikevich():
    assert INITIAL_LOG_WEIGHTS["alif"] == (-1.0, -1.5)
    assert INITIAL_LOG_WEIGHTS["izhikevich"] == (2.0, 1.0)
    assert INITIAL_LOG_WEIGHTS["relu"] == (-2.5, -3.0)


def test_weight_noise_and_per_neuron_defaults(small_circuit):
    layout = GenomeLayout(small_circuit, "alif", per_neuron=("v_threshold", "beta"))
    genomes = layout.random(20, seed=3, weight_noise=0.1)
    decoded = layout.decode(genomes)
    assert 0.05 < decoded["chemical_log_weight"].std(axis=0).mean() < 0.2
    np.testing.assert_array_equal(decoded["v_threshold"], 1.0)
    np.testing.assert_array_equal(decoded["beta"], 0.5)


def test_wrong_length_names_sizes(small_circuit):
    layout = GenomeLayout(small_circuit, "alif")
    with pytest.raises(GenomeError, match=f"does not match the layout's size {layout.size}"):
        layout.decode(np.zeros(layout.size + 1))
    with pytest.raises(GenomeError, match="shape"):
        layout.decode(np.zeros((2, 2, layout.size)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_name_the_slice_and_position(small_circuit, bad):
    layout = GenomeLayout(small_circuit, "alif", n_observations=2, n_actions=2)
    genomes = np.zeros((3, layout.size))
    position = layout.slices["encoder"].start + 5
    genomes[2, position] = bad
    with pytest.raises(GenomeError, match=r"individual 2, position \d+ \(encoder\[5\]\)"):
        layout.validate(genomes)
    with pytest.raises(GenomeError, match=r"\(encoder\[5\]\)"):
        layout.effective_weights(genomes[2])


def test_bad_configuration(small_circuit):
    with pytest.raises(ConfigError, match="known models"):
        GenomeLayout(small_circuit, "hodgkin-huxley")
    with pytest.raises(ConfigError, match="per_neuron"):
        GenomeLayout(small_circuit, "lif", per_neuron=("tau_membrane_ms",))
    with pytest.raises(ConfigError, match="n_actions"):
        GenomeLayout(small_circuit, "lif", n_actions=-1)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_no_genome_flips_a_synapse_sign(small_circuit, data):
    layout = GenomeLayout(small_circuit, "alif")
    genome = data.draw(hnp.arrays(float, layout.size,
                                  elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)))
    w = layout.effective_weights(genome)
    sign = small_circuit.chemical_sign
    assert np.all(sign * w >= 0)
    nonzero = w != 0
    assert np.all(np.sign(w[nonzero]) == sign[nonzero])


def test_mutation_groups_split_encoder_decoder_from_connectome(circuit):
    from neuroworm.evolve import GenomeGroups

    layout = GenomeLayout(circuit, "alif", n_observations=8, n_actions=2)
    groups = layout.mutation_groups()
    assert set(groups) == {"encoder_decoder", "connectome"}
    slices = layout.slices
    expected = np.r_[np.arange(slices["encoder"].start, slices["encoder"].stop),
                     np.arange(slices["decoder"].start, slices["decoder"].stop)]
    assert np.array_equal(np.sort(groups["encoder_decoder"]), np.sort(expected))
    assert len(groups["encoder_decoder"]) + len(groups["connectome"]) == layout.size
    GenomeGroups(layout.size, groups)  # disjoint and covering: accepted by the strategies
    assert set(GenomeLayout(circuit, "alif").mutation_groups()) == {"connectome"}


# ------------------------------------------------------------------ any network: layered layouts, initial values
def test_initial_values_come_from_the_experiment_file(circuit):
    import tomllib

    from neuroworm.genome import INITIAL_LOG_WEIGHTS, paper_initial_values
    from neuroworm.resources import bundled_path

    neurons = tomllib.loads(bundled_path("models", "schmidgall2023.toml").read_text())["neurons"]
    for model in ("alif", "izhikevich", "relu"):
        table = neurons[model]["initial_log_weight"]
        assert INITIAL_LOG_WEIGHTS[model] == (table["excitatory"], table["inhibitory"])
        layout = GenomeLayout(circuit, model, n_observations=2, n_actions=1)
        weights = layout.random(1, seed=0)[0, layout.slices["chemical_log_weight"]]
        np.testing.assert_array_equal(np.unique(weights), sorted({table["excitatory"], table["inhibitory"]}))
    assert paper_initial_values("lif") == paper_initial_values("alif")
    assert paper_initial_values("artificial") == paper_initial_values("relu")
    with pytest.raises(ConfigError, match="hodgkin"):
        paper_initial_values("hodgkin")


def test_the_model_classes_initial_values_agree_with_the_experiment_file_which_overrides_them(monkeypatch):
    """Each paper model's class states the file's values; where they differ, the file wins."""
    import tomllib

    from neuroworm import genome
    from neuroworm.neurons import model_class
    from neuroworm.resources import bundled_path

    neurons = tomllib.loads(bundled_path("models", "schmidgall2023.toml").read_text())["neurons"]
    for name in ("lif", "alif", "izhikevich", "relu"):
        model = model_class(name)
        table = neurons[model.initial_values_table or model.name]
        weights = table["initial_log_weight"]
        assert model.initial_log_weights == (weights["excitatory"], weights["inhibitory"])
        assert list(model.encoder_decoder_range) == table["encoder_decoder_init"]
    overridden = {"alif": {"log_weights": (-7.0, -8.0)}}
    monkeypatch.setattr(genome, "_initial_values_table", lambda: overridden)
    assert genome.paper_initial_values("lif")["log_weights"] == (-7.0, -8.0)
    assert genome.paper_initial_values("izhikevich")["log_weights"] == (2.0, 1.0)  # no table: the class's


def test_layered_layout_slices_decode_and_initialise():
    from neuroworm.genome import LayeredLayout

    layout = LayeredLayout((4, 6, 3), n_observations=5, n_actions=2)
    assert list(layout.shapes) == ["weight_0", "bias_0", "weight_1", "bias_1", "encoder", "decoder"]
    assert layout.size == 4 * 6 + 6 + 6 * 3 + 3 + 5 * 4 + 3 * 2
    assert (layout.n_inputs, layout.n_outputs, layout.n_layers) == (4, 3, 3)
    genomes = layout.random(200, seed=1)
    weights = layout.weights(genomes)
    assert [w.shape for w in weights] == [(200, 4, 6), (200, 6, 3)]
    np.testing.assert_allclose(weights[0].std(), 1 / np.sqrt(4), rtol=0.05)   # LeCun: 1/sqrt(fan_in)
    np.testing.assert_allclose(weights[1].std(), 1 / np.sqrt(6), rtol=0.05)
    assert all((b == 0).all() for b in layout.biases(genomes))
    assert np.abs(layout.decode(genomes)["encoder"]).max() <= 0.3
    groups = layout.mutation_groups()
    assert len(groups["encoder_decoder"]) == 26 and len(groups["connectome"]) == layout.size - 26
    vector = np.arange(layout.size, dtype=float)
    assert layout.decode(vector)["bias_0"].tolist() == list(range(24, 30))
    with pytest.raises(GenomeError, match="weight_1"):
        bad = vector.copy()
        bad[31] = np.nan
        layout.validate(bad)


@pytest.mark.parametrize("sizes", [(4,), (4, 0), (4, 2.0), (True, 3)])
def test_layered_layout_refuses_bad_sizes(sizes):
    from neuroworm.genome import LayeredLayout

    with pytest.raises(ConfigError):
        LayeredLayout(sizes)


def test_layouts_refuse_fractional_sizes_instead_of_truncating(circuit):
    with pytest.raises(ConfigError, match="n_observations"):
        GenomeLayout(circuit, "alif", n_observations=2.5, n_actions=1)
    with pytest.raises(ConfigError, match="n must be an integer >= 1, got 0.5"):
        GenomeLayout(circuit, "alif").random(0.5)
