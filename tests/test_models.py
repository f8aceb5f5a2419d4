"""The bundled experiment specifications agree with the code's defaults."""

import inspect

import pytest

from neuroworm import ConfigError
from neuroworm.evolve import EliteGA, OpenAIES
from neuroworm.pipelines import list_experiment_configs, load_experiment_config


def test_schmidgall_specification_matches_elite_ga_defaults():
    spec = load_experiment_config("schmidgall2023")["genetic_algorithm"]["varying_biophysical_realism"]
    defaults = {k: v.default for k, v in inspect.signature(EliteGA).parameters.items()}
    assert defaults["population_size"] == spec["population_size"] == 750
    assert defaults["n_elites"] == spec["n_elites"] == 8
    assert defaults["mutation_rate"] == spec["mutation_rate"]["connectome"] == 0.01
    assert defaults["mutation_decay"] == spec["mutation_decay"]["connectome"] == 0.997


def test_schmidgall_specification_matches_openai_es_defaults():
    spec = load_experiment_config("schmidgall2023")["evolution_strategies"]
    defaults = {k: v.default for k, v in inspect.signature(OpenAIES).parameters.items()}
    assert defaults["population_size"] == spec["population_size"] == 200
    assert defaults["sigma"] == spec["sigma"]["connectome"] == 0.1
    assert defaults["sigma_decay"] == spec["sigma_decay"]["connectome"] == 0.999


def test_unknown_specification_is_a_config_error():
    assert "schmidgall2023" in list_experiment_configs()
    with pytest.raises(ConfigError, match="schmidgall2023"):
        load_experiment_config("nope")


def test_schmidgall_experiments_turn_gap_junctions_off():
    """The paper's circuit has no electrical synapses; its experiment file says so explicitly."""
    assert load_experiment_config("schmidgall2023")["network"]["gap_junctions"] is False
