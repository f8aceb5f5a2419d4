"""Reproductions of the papers' figures and tables, driven by ``models/*.toml``."""

from .config import list_experiment_configs, load_experiment_config

__all__ = ["list_experiment_configs", "load_experiment_config"]
