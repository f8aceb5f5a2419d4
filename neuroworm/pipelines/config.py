"""Experiment specifications: the papers' hyperparameter tables in ``models/*.toml``, and each item's scales.

:func:`scale_settings` is the one merge of an item's settings at a scale
(``small``, ``medium``, ``paper``): the module's table of defaults, then a
``[scales.<item>.<scale>]`` table of ``models/<paper>.toml`` where the paper
has one, then the caller's overrides, of which an unknown one raises.
"""

import tomllib

from ..errors import ConfigError
from ..resources import bundled_path

__all__ = ["list_experiment_configs", "load_experiment_config", "scale_settings"]


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


def scale_settings(paper, item, scale, overrides=None, *, defaults=None, config=None):
    """An item's settings at a scale: defaults, then the paper's TOML table, then the overrides.

    Parameters
    ----------
    paper : str
        The paper, naming ``models/<paper>.toml`` (read when it exists).
    item : str
        The item, naming the TOML tables ``[scales.<item>.<scale>]``.
    scale : str
        ``small``, ``medium``, ``paper``: any scale the defaults or the TOML
        file give for this item.
    overrides : dict, optional
        Settings the caller changes (an item's ``**options``); each must be
        a setting the scale has.
    defaults : dict, optional
        ``{scale: {setting: value}}``, the module's table.
    config : dict, optional
        The parsed TOML document (default: ``models/<paper>.toml`` when it
        exists, else none).

    Returns
    -------
    dict
        A new dict; the tables passed in are left as they are.

    Raises
    ------
    ConfigError
        For a scale neither table has, or an override the scale does not
        have (the message lists the known ones).

    Examples
    --------
    >>> scale_settings("mypaper", "fig1", "small", {"epochs": 3},
    ...                defaults={"small": {"epochs": 2, "population": 8}}, config={})
    {'epochs': 3, 'population': 8}
    """
    if config is None:
        config = load_experiment_config(paper) if paper in list_experiment_configs() else {}
    from_file = config.get("scales", {}).get(item, {})
    defaults = defaults or {}
    known_scales = list(dict.fromkeys([*defaults, *from_file]))
    if scale not in known_scales:
        raise ConfigError(f"{paper} {item}: scale must be one of {', '.join(known_scales)}, got {scale!r}")
    settings = {**defaults.get(scale, {}), **from_file.get(scale, {})}
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(settings))
    if unknown:
        raise ConfigError(f"{paper} {item}: unknown options {unknown}; known: {sorted(settings)}")
    settings.update(overrides)
    return settings
