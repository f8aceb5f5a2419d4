"""One command per figure or table: run a reproduction and write what it found.

``neuroworm reproduce PAPER ITEM [--scale small|paper] [--seed S] [--out DIR]``
calls :func:`reproduce`, which runs the item's function (from
:data:`neuroworm.papers.registry.ITEMS`) and writes three files into
``DIR``:

``ITEM.csv``
    The item's table (curves, per-seed results, ...).
``ITEM.png``
    Its figure.
``ITEM.json``
    ``paper`` (the paper's numbers), ``ours`` (ours, measured on held-out
    data or seeds), ``scale``, ``seed``, ``seconds`` (wall time of the
    item), ``command`` (the command line that regenerates the files) and
    ``notes`` (where and why we differ from the paper).

An item function computes; this module only times it and writes. A
reproduction that does not match the paper is reported as it is: the
comparison lives in ``ITEM.json`` and the README, never in a tuned number.
"""

import importlib
import json
import math
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..validation import check_count
from .registry import ITEMS, PAPERS

__all__ = ["SCALES", "Reproduction", "get_item", "list_items", "reproduce", "write_reproduction"]

SCALES = ("small", "paper")
"""``small`` finishes in minutes on two cores; ``paper`` uses the paper's sizes (documented times)."""


@dataclass(eq=False)
class Reproduction:
    """What an item function returns.

    Attributes
    ----------
    paper : dict
        The paper's numbers for this item (JSON-able), e.g.
        ``{"final_return": {"alif": 146.0}}``.
    ours : dict
        Our numbers, in the same shape where they compare (JSON-able;
        NumPy scalars and arrays are converted).
    table : pandas.DataFrame
        Written to ``ITEM.csv``.
    figure : matplotlib.figure.Figure
        Written to ``ITEM.png`` (and closed).
    notes : str
        Where we differ from the paper, with the likely cause.
    """

    paper: dict
    ours: dict
    table: object
    figure: object
    notes: str = ""


def get_item(paper, item):
    """The :class:`~neuroworm.papers.registry.Item` registered as ``paper``/``item``.

    Raises
    ------
    ConfigError
        For an unknown paper or item, naming the known ones.
    """
    if paper not in ITEMS:
        raise ConfigError(f"unknown paper {paper!r}; known: {', '.join(ITEMS)}")
    if item not in ITEMS[paper]:
        raise ConfigError(f"unknown item {item!r} of {paper}; known: {', '.join(ITEMS[paper])}")
    return ITEMS[paper][item]


def _load(entry):
    """The function behind ``"module:function"``, or ``(None, why)`` when it is not there (yet)."""
    module_name, function_name = entry.entry_point.split(":")
    if importlib.util.find_spec(module_name) is None:
        return None, "not implemented"
    module = importlib.import_module(module_name)  # an error inside an existing module is a bug: let it show
    function = getattr(module, function_name, None)
    if not callable(function):
        return None, "not implemented"
    return function, "implemented"


def list_items():
    """Every item of every paper and whether it is implemented.

    Returns
    -------
    pandas.DataFrame
        Columns ``paper``, ``item``, ``status`` ("implemented" or "not
        implemented"), ``title``; one row per item.
    """
    import pandas as pd

    rows = []
    for paper, items in ITEMS.items():
        for name, entry in items.items():
            _, status = _load(entry)
            rows.append({"paper": paper, "item": name, "status": status, "title": entry.title})
    return pd.DataFrame(rows, columns=["paper", "item", "status", "title"])


def _jsonable(value):
    """NumPy scalars/arrays, tuples and non-finite floats → plain JSON values (NaN/inf → null)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"reproduction results must be JSON-able; got {type(value).__name__}: {value!r}")


def write_reproduction(result, out, item, *, scale, seed, seconds, command):
    """Write ``ITEM.csv``, ``ITEM.png`` and ``ITEM.json`` for a :class:`Reproduction`.

    Returns
    -------
    dict
        The JSON document written.
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, Reproduction):
        raise ConfigError(f"item {item!r} returned {type(result).__name__}, expected a Reproduction")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / f"{item}.csv", index=False)
    result.figure.savefig(out / f"{item}.png", dpi=120, bbox_inches="tight")
    plt.close(result.figure)
    document = {
        "paper": _jsonable(result.paper),
        "ours": _jsonable(result.ours),
        "scale": scale,
        "seed": int(seed),
        "seconds": round(float(seconds), 3),
        "command": command,
        "notes": result.notes,
    }
    (out / f"{item}.json").write_text(json.dumps(document, indent=2) + "\n")
    return document


def reproduce(paper, item, scale="small", seed=0, out="output", **options):
    """Run one reproduction and write its CSV, PNG and JSON into ``out``.

    Parameters
    ----------
    paper : str
        A key of :data:`~neuroworm.papers.registry.PAPERS`, e.g. ``"schmidgall2023"``.
    item : str
        E.g. ``"fig3"``; ``neuroworm reproduce --list`` shows them all.
    scale : {"small", "paper"}
    seed : int
        Seeds everything the item draws (training and held-out seeds are
        derived from it and never overlap).
    out : str or Path
        Folder for the files (created).
    **options
        Item-specific options (``dataset``, ``data`` for bardozzo2023).

    Returns
    -------
    dict
        The JSON document written to ``out/ITEM.json``.

    Raises
    ------
    ConfigError
        Unknown paper, item, scale or option, a negative seed, or an item
        that is not implemented yet.
    """
    entry = get_item(paper, item)
    if scale not in SCALES:
        raise ConfigError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    seed = check_count("seed", seed)
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        raise ConfigError(f"{paper} {item} takes no option {', '.join(unknown)}; it takes: "
                          f"{', '.join(entry.options) or 'none'}")
    function, status = _load(entry)
    if function is None:
        raise ConfigError(f"{paper} {item} is {status} yet ({entry.title}); see `neuroworm reproduce --list`")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    command = ["neuroworm", "reproduce", paper, item, "--scale", scale, "--seed", str(seed), "--out", str(out)]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    start = time.perf_counter()
    result = function(scale=scale, seed=seed, out=out, **options)
    seconds = time.perf_counter() - start
    return write_reproduction(result, out, item, scale=scale, seed=seed, seconds=seconds,
                              command=shlex.join(command))


def describe_papers():
    """``{paper id: citation}`` of every paper ``neuroworm reproduce`` knows."""
    return dict(PAPERS)
