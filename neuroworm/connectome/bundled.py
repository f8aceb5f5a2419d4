"""The connectomes bundled with neuroworm, in ``connectome_data/``.

Each dataset is a folder ``connectome_data/<id>/`` holding ``neurons.csv``,
``chemical.csv``, ``electrical.csv`` and ``metadata.json``, regenerated from
the published files by ``connectome_data/build.py``; ``connectome_data/SOURCES.md``
cites every source.
"""

import json

import pandas as pd

from ..errors import ConnectomeFileError, UnknownConnectomeError
from ..resources import bundled_path
from .model import Connectome

__all__ = ["list_connectomes", "load_connectome"]

_TABLES = {
    "neurons": ["name", "cell_class", "neurotransmitter", "sign"],
    "chemical": ["pre", "post", "weight"],
    "electrical": ["a", "b", "weight"],
}


def _dataset_ids():
    root = bundled_path("connectome_data")
    return sorted(p.name for p in root.iterdir() if (p / "metadata.json").is_file())


def _read_table(folder, table):
    path = folder / f"{table}.csv"
    if not path.is_file():
        raise ConnectomeFileError(path, f"bundled dataset file is missing (expected columns {_TABLES[table]})")
    frame = pd.read_csv(path, dtype={"name": str, "pre": str, "post": str, "a": str, "b": str,
                                     "neurotransmitter": str, "cell_type": str},
                        keep_default_na=False, na_values=[""])
    missing = [c for c in _TABLES[table] if c not in frame.columns]
    if missing:
        raise ConnectomeFileError(path, f"missing column(s) {missing}; found {list(frame.columns)}", row=1)
    return frame


def _read_metadata(folder):
    path = folder / "metadata.json"
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ConnectomeFileError(path, f"cannot read dataset metadata: {error}") from error


def load_connectome(name):
    """Load a bundled connectome by id.

    Parameters
    ----------
    name : str
        A dataset id from :func:`list_connectomes`, e.g.
        ``"cook2019_hermaphrodite"``, ``"witvliet2021_8"``,
        ``"haspel_odonovan2011"``, ``"eichler2017_mushroom_body_left"``.

    Returns
    -------
    Connectome
        With ``metadata`` giving the citation, DOI and what ``weight`` counts.

    Raises
    ------
    UnknownConnectomeError
        If ``name`` is not a bundled id (the message lists the known ids).
    ConnectomeFileError
        If a bundled file is missing or malformed.

    Examples
    --------
    >>> from neuroworm import load_connectome
    >>> worm = load_connectome("cook2019_hermaphrodite")
    >>> int((worm.neurons["cell_class"].isin(["sensory", "inter", "motor"])).sum())
    302
    """
    known = _dataset_ids()
    if name not in known:
        raise UnknownConnectomeError(f"no bundled connectome named {name!r}; known ids: {', '.join(known)}")
    folder = bundled_path("connectome_data", name)
    neurons = _read_table(folder, "neurons").set_index("name")
    return Connectome(
        neurons=neurons,
        chemical=_read_table(folder, "chemical"),
        electrical=_read_table(folder, "electrical"),
        metadata=_read_metadata(folder),
        name=name,
    )


def list_connectomes():
    """Table of the bundled connectomes, one row per id.

    Returns
    -------
    pandas.DataFrame
        Indexed by id, with columns ``organism``, ``title``, ``cells``,
        ``chemical_edges``, ``electrical_edges``, ``weight_unit``,
        ``citation`` and ``doi``. Counts are read from the files, not from
        the metadata, so the table cannot disagree with the data.
    """
    rows = []
    for dataset in _dataset_ids():
        folder = bundled_path("connectome_data", dataset)
        metadata = _read_metadata(folder)
        rows.append(
            {
                "id": dataset,
                "organism": metadata.get("organism", ""),
                "title": metadata.get("title", ""),
                "cells": _count_rows(folder / "neurons.csv"),
                "chemical_edges": _count_rows(folder / "chemical.csv"),
                "electrical_edges": _count_rows(folder / "electrical.csv"),
                "weight_unit": metadata.get("weight_unit", ""),
                "citation": metadata.get("citation", ""),
                "doi": metadata.get("doi", ""),
            }
        )
    return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


def _count_rows(path):
    with open(path, "rb") as handle:
        return max(sum(1 for line in handle if line.strip()) - 1, 0)
