"""Experiment specifications: the papers' hyperparameter tables in ``models/*.toml``."""

import tomllib

from ..errors import ConfigError
from ..resources import bundled_path

__all__ = ["list_experiment_configs", "load_experiment_config"]


def list_experiment_configs():
    """Names of the bundled experiment specifications (``models/<name>.toml``).

    Returns
    -------
    list of str
    """
    return sorted(p.stem for p in bundled_path("models").glob("*.toml"))


def load_experiment_config(name):
    """Read a bundled experiment specification.

    Parameters
    ----------
    name : str
        ``"schmidgall2023"``, or any name from :func:`list_experiment_configs`.

    Returns
    -------
    dict
        The parsed TOML document.

    Raises
    ------
    ConfigError
        If no such file exists or it is not valid TOML (the message names the file).
    """
    path = bundled_path("models", f"{name}.toml")
    if not path.is_file():
        raise ConfigError(f"no experiment specification {name!r}; known: {list_experiment_configs()}")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
