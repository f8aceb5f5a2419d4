"""Fig. 4's architectures: what each network keeps, pinned."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.genome import GenomeLayout
from neuroworm.papers.architectures import excitatory_fraction, sparse_mlp, statistics_network, two_layer_mlp


def test_statistics_network_keeps_cells_synapse_count_and_ei_ratio(circuit):
    rewired = statistics_network(circuit, seed=3)
    assert rewired.inputs == circuit.inputs and rewired.outputs == circuit.outputs
    assert rewired.n_neurons == circuit.n_neurons and rewired.n_chemical == circuit.n_chemical
    assert np.sum(rewired.chemical_sign > 0) == np.sum(circuit.chemical_sign > 0)
    original = set(zip(circuit.chemical_pre.tolist(), circuit.chemical_post.tolist()))
    assert set(zip(rewired.chemical_pre.tolist(), rewired.chemical_post.tolist())) != original


def test_full_mlp_is_every_first_to_second_layer_pair():
    mlp = two_layer_mlp(69, 74, density=1.0, excitatory=0.75, seed=0)
    assert mlp.n_neurons == 143 and mlp.n_chemical == 69 * 74 and mlp.n_electrical == 0
    assert len(mlp.inputs) == 69 and len(mlp.outputs) == 74
    assert set(mlp.chemical_pre.tolist()) == set(mlp.input_index.tolist())
    assert set(mlp.chemical_post.tolist()) == set(mlp.output_index.tolist())
    assert excitatory_fraction(mlp) == pytest.approx(0.75, abs=0.03)
    GenomeLayout(mlp, "relu", n_observations=8, n_actions=2)  # evolvable like the connectome


def test_sparse_mlp_draws_its_density_and_signs():
    circuit, drawn = sparse_mlp(20, 30, seed=5)
    assert 0.0 < drawn["density"] < 1.0 and 0.0 <= drawn["excitatory_fraction"] <= 1.0
    assert circuit.n_chemical == max(1, round(drawn["density"] * 600))
    assert sparse_mlp(20, 30, seed=5)[1] == drawn
    assert sparse_mlp(20, 30, seed=6)[1] != drawn


def test_mlp_arguments_are_checked():
    with pytest.raises(ConfigError, match="density"):
        two_layer_mlp(3, 3, density=0.0)
    with pytest.raises(ConfigError, match="excitatory"):
        two_layer_mlp(3, 3, excitatory=1.5)
    with pytest.raises(ConfigError, match="n_first"):
        two_layer_mlp(0, 3)
