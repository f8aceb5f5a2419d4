"""One merge of an item's settings at a scale: module defaults, the paper's TOML table, the caller's overrides."""

import pytest

from neuroworm.errors import ConfigError
from neuroworm.pipelines.config import load_experiment_config, scale_settings

DEFAULTS = {"small": {"epochs": 2, "population": 8}, "paper": {"epochs": 1000, "population": 200}}


def test_defaults_then_overrides_and_the_tables_are_left_as_they_are():
    settings = scale_settings("nopaper", "fig1", "small", {"epochs": 3}, defaults=DEFAULTS, config={})
    assert settings == {"epochs": 3, "population": 8}
    assert DEFAULTS["small"] == {"epochs": 2, "population": 8}
    assert scale_settings("nopaper", "fig1", "paper", defaults=DEFAULTS, config={}) == DEFAULTS["paper"]


def test_the_papers_toml_table_overrides_the_module_and_adds_a_scale():
    config = {"scales": {"fig1": {"small": {"epochs": 5}, "medium": {"epochs": 50, "population": 32}}}}
    assert scale_settings("p", "fig1", "small", defaults=DEFAULTS, config=config) == {"epochs": 5, "population": 8}
    assert scale_settings("p", "fig1", "medium", defaults=DEFAULTS, config=config) == {"epochs": 50,
                                                                                      "population": 32}
    assert scale_settings("p", "fig2", "small", defaults=DEFAULTS, config=config) == DEFAULTS["small"]


def test_an_unknown_option_or_scale_raises_naming_what_is_known():
    with pytest.raises(ConfigError, match=r"p fig1: unknown options \['epoch'\]; known: \['epochs', 'population'\]"):
        scale_settings("p", "fig1", "small", {"epoch": 3}, defaults=DEFAULTS, config={})
    with pytest.raises(ConfigError, match="scale must be one of small, paper, got 'medium'"):
        scale_settings("p", "fig1", "medium", defaults=DEFAULTS, config={})


def test_the_bundled_toml_file_is_read_when_the_paper_has_one():
    config = load_experiment_config("schmidgall2023")
    from_file = config.get("scales", {})
    settings = scale_settings("schmidgall2023", "an_item_without_a_table", "small", defaults=DEFAULTS)
    assert settings == DEFAULTS["small"] and "an_item_without_a_table" not in from_file
    # a paper without a file is no error: the module's table is all there is
    assert scale_settings("no_such_paper", "x", "small", defaults=DEFAULTS) == DEFAULTS["small"]
