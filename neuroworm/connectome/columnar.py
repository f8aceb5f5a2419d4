"""FlyWire-sized connection tables, read column-wise by pyarrow.

A full FlyWire Codex export has about 16 million rows (one per pair of
neurons and neuropil).  The strict reader of
:mod:`neuroworm.connectome.readers` keeps every field as a Python string so
that it can name the line of any bad value; at this scale that costs tens of
gigabytes and minutes.  :func:`read_flywire_codex_columnar` parses the same
file with pyarrow's multithreaded CSV reader into typed columns (unsigned
64-bit root ids, 64-bit synapse counts, a dictionary of neurotransmitter
codes; the ``neuropil`` column is never materialised), sums the neuropils of
each pair with one vectorised factorisation of integer pair keys, and builds
the connectome from the summed table, whose cell names are shared string
objects.

It gives the same :class:`~neuroworm.connectome.model.Connectome` as
:func:`~neuroworm.connectome.readers.read_flywire_codex` -- same cells in
the same order, same edges in the same order, same signs (a test checks
this on random files) -- and the same errors: whenever the typed parse or a
check fails (a root id written as ``7.2e17``, a fractional or missing
``syn_count``, an unknown ``nt_type``, a cell missing from the neuron
table), the strict reader reads the file again to name the line and column.

Measured by ``benchmarks/bench_readers.py`` on a synthetic FlyWire-shaped
file; see the README for the numbers.
"""

import gzip
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConnectomeFileError
from . import readers

__all__ = ["read_flywire_codex_columnar"]

_COLUMNS = ("pre_root_id", "post_root_id", "syn_count", "nt_type")


class _LimitedReader(io.RawIOBase):
    """A decompressed stream that raises once more than ``max_bytes`` have come out of it."""

    def __init__(self, path, stream, max_bytes, compressed_size):
        self.path, self.stream, self.max_bytes, self.compressed_size = path, stream, max_bytes, compressed_size
        self.total = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = self.stream.readinto(buffer)
        self.total += count
        if self.total > self.max_bytes:
            raise ConnectomeFileError(
                self.path, f"expands to more than {self.max_bytes:,} bytes when decompressed "
                f"({self.compressed_size:,} bytes compressed); if the file is genuine, pass a larger max_bytes"
            )
        return count


class _Fallback(Exception):
    """The typed parse cannot vouch for the file: let the strict reader find the line at fault."""


def _open(path, max_bytes):
    with open(path, "rb") as stream:
        magic = stream.read(2)
    if magic == b"\x1f\x8b" or path.suffix.lower() == ".gz":
        limit = readers.MAX_DECOMPRESSED_BYTES if max_bytes is None else int(max_bytes)
        return _LimitedReader(path, gzip.open(path, "rb"), limit, os.path.getsize(path))
    return str(path)


def _read_typed(path, max_bytes):
    """The four columns as a pyarrow Table with strict types, or _Fallback."""
    import pyarrow as pa
    from pyarrow import csv

    source = _open(path, max_bytes)
    try:
        table = csv.read_csv(
            source,
            read_options=csv.ReadOptions(block_size=1 << 24),
            parse_options=csv.ParseOptions(delimiter=","),
            convert_options=csv.ConvertOptions(
                include_columns=list(_COLUMNS),
                column_types={"pre_root_id": pa.uint64(), "post_root_id": pa.uint64(), "syn_count": pa.int64(),
                              "nt_type": pa.dictionary(pa.int32(), pa.string())},
                strings_can_be_null=False,
            ),
        )
    except ConnectomeFileError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, KeyError, ValueError) as error:
        raise _Fallback(str(error)) from error
    except OSError as error:  # a corrupt gzip, among others: the strict reader says which
        raise _Fallback(str(error)) from error
    finally:
        if not isinstance(source, str):
            source.close()
    if table.num_rows == 0 or any(table.column(name).null_count for name in _COLUMNS[:3]):
        raise _Fallback("empty file or missing values")
    return table


def _codes(table):
    """nt_type codes per row as small integers into a list of normalised codes ("" = no prediction)."""
    nt = table.select(["nt_type"]).unify_dictionaries().column("nt_type").combine_chunks()
    dictionary = [str(value).strip().upper() for value in nt.dictionary.to_pylist()]
    normalised = ["" if code in readers._FLYWIRE_UNKNOWN_NT else code for code in dictionary]
    if any(code not in readers.FLYWIRE_NEUROTRANSMITTERS and code != "" for code in normalised):
        raise _Fallback("unknown nt_type")
    return nt.indices.to_numpy(zero_copy_only=False), normalised


def read_flywire_codex_columnar(path, neurons=None, name=None, max_bytes=None):
    """Read a FlyWire Codex connection table of any size; same result as :func:`read_flywire_codex`.

    Parameters
    ----------
    path : str or path-like
        ``connections.csv`` or ``.csv.gz`` with columns ``pre_root_id,
        post_root_id, neuropil, syn_count, nt_type`` (comma-separated).
    neurons : str or path-like, optional
        A Codex cell table (``classification.csv``), as for
        :func:`~neuroworm.connectome.readers.read_flywire_codex`.
    name : str, optional
        Default: the file name without extensions.
    max_bytes : int, optional
        Largest text a compressed file may expand to (default
        :data:`~neuroworm.connectome.readers.MAX_DECOMPRESSED_BYTES`).

    Returns
    -------
    Connectome

    Raises
    ------
    ConnectomeFileError
        As :func:`~neuroworm.connectome.readers.read_flywire_codex`, naming
        the file, line and column.

    Notes
    -----
    Peak memory is about 1.5 to 3 times the uncompressed file (the typed
    columns, 28 bytes a row, and the hash tables of the aggregation);
    the strict reader needs about 25 times.
    """
    import pyarrow.compute as pc

    path = readers._as_path(path)
    if not path.exists() or path.is_dir():
        return readers._read_flywire_codex_strict(path, neurons, name, max_bytes)
    try:
        table = _read_typed(path, max_bytes)
        code_index, codes = _codes(table)
    except _Fallback:
        return readers._read_flywire_codex_strict(path, neurons, name, max_bytes)
    if pc.min(table.column("syn_count")).as_py() < 0:
        return readers._read_flywire_codex_strict(path, neurons, name, max_bytes)

    pre = table.column("pre_root_id").to_numpy()
    post = table.column("post_root_id").to_numpy()
    counts = table.column("syn_count").to_numpy()
    table = None  # the typed columns are all that is needed from here on

    # Cells in order of first appearance, reading each row's pre then post (as the strict reader does).
    interleaved = np.empty(2 * len(pre), dtype=np.uint64)
    interleaved[0::2], interleaved[1::2] = pre, post
    cell_ids = pd.unique(interleaved)
    del interleaved
    cell_names = np.array([str(int(cell)) for cell in cell_ids], dtype=object)
    position = pd.Index(cell_ids)
    pre_index = position.get_indexer(pre).astype(np.int64)
    post_index = position.get_indexer(post).astype(np.int64)
    del pre, post

    # Neuropils of a pair summed (rows of weight 0 dropped), pairs in order of first appearance:
    # one int64 key per pair, factorised (codes follow first appearance) and weights summed per code.
    n_cells = len(cell_ids)
    keep = counts > 0
    pair_keys = pre_index[keep] * n_cells + post_index[keep]
    pair_codes, pairs = pd.factorize(pair_keys)
    del pair_keys
    weights = np.bincount(pair_codes, weights=counts[keep], minlength=len(pairs))
    del pair_codes, keep
    chemical = pd.DataFrame({
        "pre": cell_names[pairs // n_cells],
        "post": cell_names[pairs % n_cells],
        "weight": weights,
    })
    del pairs, weights

    # Each cell's neurotransmitter: the nt_type carrying most of its output synapses (ties: unknown).
    n_codes = len(codes)
    vote_codes, votes = pd.factorize(pre_index * n_codes + code_index.astype(np.int64))
    vote_weights = np.bincount(vote_codes, weights=counts, minlength=len(votes))
    del vote_codes, pre_index, post_index, counts, code_index
    votes = pd.DataFrame({"pre": votes // n_codes, "code": np.asarray(codes, dtype=object)[votes % n_codes],
                          "weight": vote_weights})
    votes = votes[votes["code"] != ""].groupby(["pre", "code"], as_index=False)["weight"].sum()
    best = votes.groupby("pre")["weight"].transform("max")
    winners = votes[votes["weight"] == best]
    winners = winners[~winners.duplicated("pre", keep=False)]
    winners = pd.Series(winners["code"].to_numpy(), index=cell_names[winners["pre"].to_numpy()])

    if neurons is None:
        neuron_table = pd.DataFrame({"cell_class": "other"}, index=pd.Index(cell_names, name="name"))
        cell_codes = winners.reindex(neuron_table.index).fillna("").to_numpy(object)
    else:
        table_path = readers._as_path(neurons)
        neuron_table, _, neuron_lines = readers._read_neuron_table(
            table_path, "root_id", ("super_class", readers._FLYWIRE_CLASSES), max_bytes=max_bytes
        )
        if not pd.Index(cell_names).isin(neuron_table.index).all():
            return readers._read_flywire_codex_strict(path, neurons, name, max_bytes)
        if "nt_type" in neuron_table.columns:
            cell_codes = readers._flywire_codes(table_path, neuron_table["nt_type"].to_numpy(object), neuron_lines,
                                                "nt_type")
        else:
            cell_codes = winners.reindex(neuron_table.index).fillna("").to_numpy(object)
    transmitters = readers.FLYWIRE_NEUROTRANSMITTERS
    neuron_table["neurotransmitter"] = [transmitters.get(code, (None, 0))[0] for code in cell_codes]
    neuron_table["sign"] = np.array([transmitters.get(code, (None, 0))[1] for code in cell_codes], dtype=np.int8)
    electrical = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object),
                               "weight": pd.Series(dtype=np.float64)})
    metadata = {"source_file": str(path), "format": "FlyWire Codex connections", "weight_unit": "synapses",
                "sign_rule": "per cell, majority nt_type of its output synapses; ACH +1, GABA -1, GLUT -1, else 0"}
    from .model import Connectome

    return Connectome(neuron_table, chemical, electrical, metadata, name or readers._default_name(Path(path)))
