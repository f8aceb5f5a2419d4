"""Worm files: one genome and everything needed to rebuild the network it runs on.

A worm file is a NumPy ``.npz`` read with ``allow_pickle=False``:

``genome`` (D,) float64
    The genome (log-weights, log-conductances, encoder, decoder, per-neuron
    constants), in the order of ``layout["slices"]``.
``settings`` str (JSON)
    At least ``connectome``, ``circuit`` (a name of
    :data:`neuroworm.connectome.NAMED_CIRCUITS`: ``"locomotion"`` or
    ``"locomotion+command"``), ``model`` and ``task``; writers add what
    else rebuilds their evaluator (``neural_steps_per_env_step``,
    ``gap_junctions``, ``episode_steps``, ...).
``layout`` str (JSON)
    ``per_neuron`` (the neuron constants held per cell) and ``slices``
    (``{name: [start, stop]}``), checked against the layout rebuilt on load.
any other arrays
    E.g. ``test_returns``.

``neuroworm pretrain`` writes them (:func:`neuroworm.pipelines.pretraining.save_worm`),
``neuroworm evaluate`` and the demo read them.
"""

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .connectome.circuits import NAMED_CIRCUITS
from .errors import ConfigError
from .limits import as_path, check_input_file, check_npz_members, load_json, max_decompressed_bytes
from .validation import check_integer, check_real_array

__all__ = ["WormRecord", "read_worm_file", "write_worm_file"]


@dataclass
class WormRecord:
    """What :func:`read_worm_file` returns.

    Attributes
    ----------
    genome : numpy.ndarray, shape (D,)
    settings : dict
        The stored settings (JSON).
    circuit : Circuit
    layout : GenomeLayout
    arrays : dict of str to numpy.ndarray
        The file's other arrays (e.g. ``test_returns``).
    """

    genome: np.ndarray
    settings: dict
    circuit: object
    layout: object
    arrays: dict = field(default_factory=dict)


def write_worm_file(path, genome, settings, layout, **arrays):
    """Write a worm file atomically (see the module docstring); return its path.

    Parameters
    ----------
    path : str or pathlib.Path
    genome : array_like, shape (layout.size,)
    settings : dict
        JSON-able; must name ``connectome``, ``circuit``, ``model`` and ``task``.
    layout : GenomeLayout
    **arrays : numpy.ndarray
        Extra numeric arrays.

    Raises
    ------
    ConfigError
        Settings missing a key, or a genome that does not fit the layout.
    """
    missing = [key for key in ("connectome", "circuit", "model", "task") if key not in settings]
    if missing:
        raise ConfigError(f"worm settings lack {missing}")
    genome = np.asarray(genome, dtype=np.float64)
    if genome.shape != (layout.size,):
        raise ConfigError(f"genome has shape {genome.shape}, its layout needs ({layout.size},)")
    description = {"per_neuron": list(layout.per_neuron),
                   "slices": {name: [part.start, part.stop] for name, part in layout.slices.items()}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(temporary, genome=genome, settings=json.dumps(settings), layout=json.dumps(description), **arrays)
    temporary.replace(path)
    return path


_TEXT_SETTINGS = ("connectome", "circuit", "model", "task", "backend")
_BOOLEAN_SETTINGS = ("gap_junctions", "common_seeds")
_COUNT_SETTINGS = ("episode_steps", "neural_steps_per_env_step", "episodes_per_individual", "validation_episodes",
                   "test_episodes", "es_episode_steps", "ga_episode_steps", "es_population", "ga_population",
                   "processes", "heldout_every")


def _check_settings(path, settings):
    """The stored settings by type, with the command line's rules; a message naming the file and the setting."""
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: settings must be a JSON object, got {type(settings).__name__}")
    for name in _TEXT_SETTINGS:  # the first four are required (a missing one is reported by the caller)
        if name in settings and not isinstance(settings[name], str) and not (name == "backend" and
                                                                              settings[name] is None):
            raise ConfigError(f"{path}: setting {name!r} must be a string, got {settings[name]!r}")
    for name in _BOOLEAN_SETTINGS:  # "no" is a string, and a true one: refused, not read as on
        if name in settings and not isinstance(settings[name], bool):
            raise ConfigError(f"{path}: setting {name!r} must be true or false, got {settings[name]!r}")
    for name in _COUNT_SETTINGS:  # only K may be null (the model's default)
        if name in settings and not (name == "neural_steps_per_env_step" and settings[name] is None):
            check_integer(f"{path}: setting {name!r}", settings[name], minimum=1)


def read_worm_file(path):
    """Read a worm file and rebuild its circuit and genome layout.

    Returns
    -------
    WormRecord

    Raises
    ------
    ConfigError
        A file that cannot be read, lacks a key, names an unknown circuit, or
        whose stored layout does not match the rebuilt one; the message
        names the file.
    """
    from .connectome import load_connectome, named_circuit
    from .genome import GenomeLayout
    from .tasks import task_dimensions

    path = as_path(path, "a worm file's path")

    def error(message):
        return ConfigError(f"{path}: {message}")

    check_input_file(path, error)
    try:
        check_npz_members(path, error, max_bytes=max_decompressed_bytes(), what="its arrays")
        with np.load(path, allow_pickle=False) as data:
            contents = {key: np.array(data[key]) for key in data.files}
    except ConfigError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as failure:
        raise ConfigError(f"{path}: not a readable .npz file ({failure})") from None
    missing = [key for key in ("genome", "settings", "layout") if key not in contents]
    if missing:
        raise ConfigError(f"{path}: not a neuroworm worm file, missing {missing}")
    try:
        settings = load_json(str(contents.pop("settings")), error, what="its settings")
        description = load_json(str(contents.pop("layout")), error, what="its layout")
        stored = {name: list(bounds) for name, bounds in description["slices"].items()}
        per_neuron = tuple(description.get("per_neuron", ()))
        names = {key: settings[key] for key in ("connectome", "circuit", "model", "task")}
    except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: malformed settings or layout ({type(error).__name__}: {error})") from None
    _check_settings(path, settings)
    if names["circuit"] not in NAMED_CIRCUITS:
        raise ConfigError(f"{path}: unknown circuit {names['circuit']!r}; known: {', '.join(NAMED_CIRCUITS)}")
    genome = check_real_array(f"{path}: genome", contents.pop("genome")).ravel()  # complex: refused, not cut
    circuit = named_circuit(load_connectome(names["connectome"]), names["circuit"])
    layout = GenomeLayout(circuit, names["model"], *task_dimensions(names["task"]), per_neuron=per_neuron)
    rebuilt = {name: [part.start, part.stop] for name, part in layout.slices.items()}
    if stored != rebuilt or genome.shape != (layout.size,):
        raise ConfigError(f"{path}: the stored genome layout {stored} does not match the rebuilt one {rebuilt}")
    return WormRecord(genome, settings, circuit, layout, contents)
