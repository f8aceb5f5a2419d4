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
file of 16 M rows (775 MiB): peak memory 2.35x the file, 0.78 M rows per
CPU-second; on 1 M rows 10x less CPU and 2.3x less memory than the strict
reader (README, Performance).
"""

import gzip
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConnectomeFileError
from . import readers, textfiles

__all__ = ["read_edge_list_columnar", "read_flywire_codex_columnar"]

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
    Peak memory is about 2.4 times the uncompressed file at 16 M rows (the
    typed columns, 28 bytes a row, and the hash tables of the aggregation);
    the strict reader needs about 20 times.
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
    # factorize numbers the ids in order of first appearance, so its codes are the rows' cell indices.
    interleaved = np.empty(2 * len(pre), dtype=np.uint64)
    interleaved[0::2], interleaved[1::2] = pre, post
    del pre, post
    row_cells, cell_ids = pd.factorize(interleaved)
    del interleaved
    pre_index, post_index = row_cells[0::2].astype(np.int64), row_cells[1::2].astype(np.int64)
    del row_cells
    cell_names = np.array([str(int(cell)) for cell in cell_ids], dtype=object)

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

    # Each cell's neurotransmitter: the nt_type carrying most of its output synapses (ties: unknown),
    # from a (cells x codes) table of synapse totals and of whether any row voted.
    known = list(readers.FLYWIRE_NEUROTRANSMITTERS)
    canonical = np.array([known.index(code) if code else -1 for code in codes], dtype=np.int64)
    row_code = canonical[code_index]
    del code_index
    voted = row_code >= 0
    keys = pre_index[voted] * len(known) + row_code[voted]
    shape = (n_cells, len(known))
    totals = np.bincount(keys, weights=counts[voted], minlength=n_cells * len(known)).reshape(shape)
    present = np.bincount(keys, minlength=n_cells * len(known)).reshape(shape) > 0
    del keys, voted, row_code, pre_index, post_index, counts
    totals[~present] = -np.inf
    is_best = present & (totals == totals.max(axis=1)[:, None])
    winner = np.where(is_best.sum(axis=1) == 1, is_best.argmax(axis=1), -1)  # -1: no or tied prediction

    if neurons is None:
        neuron_table = pd.DataFrame({"cell_class": "other"}, index=pd.Index(cell_names, name="name"))
        cell_code = winner
    else:
        table_path = readers._as_path(neurons)
        neuron_table, _, neuron_lines = readers._read_neuron_table(
            table_path, "root_id", ("super_class", readers._FLYWIRE_CLASSES), max_bytes=max_bytes
        )
        position = pd.Index(cell_names).get_indexer(neuron_table.index)
        if len(np.setdiff1d(np.arange(n_cells), position)):  # a connection names a cell the table lacks
            return readers._read_flywire_codex_strict(path, neurons, name, max_bytes)
        if "nt_type" in neuron_table.columns:
            given = readers._flywire_codes(table_path, neuron_table["nt_type"].to_numpy(object), neuron_lines,
                                           "nt_type")
            cell_code = pd.Series(given).map({code: i for i, code in enumerate(known)}).fillna(-1).to_numpy(int)
        else:
            cell_code = np.where(position >= 0, winner[np.maximum(position, 0)], -1)
    transmitters = readers.FLYWIRE_NEUROTRANSMITTERS
    names = np.array([transmitters[code][0] for code in known] + [None], dtype=object)
    signs = np.array([transmitters[code][1] for code in known] + [0], dtype=np.int8)
    neuron_table["neurotransmitter"] = names[cell_code]  # index -1 is the last entry: unknown
    neuron_table["sign"] = signs[cell_code]
    electrical = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object),
                               "weight": pd.Series(dtype=np.float64)})
    metadata = {"source_file": str(path), "format": "FlyWire Codex connections", "weight_unit": "synapses",
                "sign_rule": "per cell, majority nt_type of its output synapses; ACH +1, GABA -1, GLUT -1, else 0"}
    from .model import Connectome

    return Connectome(neuron_table, chemical, electrical, metadata, name or readers._default_name(Path(path)))


def _first_line(path, max_bytes):
    """(text of the header line, number of lines before it) of a possibly gzipped file, or _Fallback."""
    source = _open(path, max_bytes)
    try:
        with open(source, "rb") if isinstance(source, str) else io.BufferedReader(source) as stream:
            for number, raw in enumerate(stream):
                if number > 1000:
                    break
                text = raw.decode("utf-8-sig" if number == 0 else "utf-8")
                if text.strip():
                    return text.rstrip("\r\n"), number
    except (UnicodeDecodeError, OSError, EOFError) as error:
        raise _Fallback(str(error)) from error
    raise _Fallback("no header")


def _strip_names(dictionary):
    """Dictionary values stripped; _Fallback for empty names or control characters."""
    names = np.array([str(value).strip() for value in dictionary.to_pylist()], dtype=object)
    if any(name == "" or readers._CONTROL_CHARACTERS.search(name) for name in names):
        raise _Fallback("bad cell name")
    return names


def read_edge_list_columnar(path, pre="pre", post="post", weight="weight", delimiter=None, name=None, max_bytes=None):
    """Read a plain edge list of any size; same result as :func:`~neuroworm.connectome.readers.read_edge_list`.

    For files without ``kind``, ``type`` or ``sign`` columns and without a
    neuron table (every row a chemical synapse, cells named by the edges).
    Anything else, and any value the typed parse cannot vouch for, goes to
    the strict reader, which names the line and column at fault.

    Parameters
    ----------
    path : str or path-like
    pre, post, weight : str
        Column names, as for ``read_edge_list``.
    delimiter : str, optional
        As for ``read_edge_list`` (by default from the extension or the header).
    name : str, optional
    max_bytes : int, optional
        Largest text a compressed file may expand to.

    Returns
    -------
    Connectome
    """
    import pyarrow as pa
    from pyarrow import csv

    path = readers._as_path(path)

    def strict():
        return readers._read_edge_list_strict(path, pre=pre, post=post, weight=weight, delimiter=delimiter, name=name,
                                              max_bytes=max_bytes)

    if not path.is_file():
        return strict()
    try:
        header_text, header_index = _first_line(path, max_bytes)
        separator = textfiles._sniff_delimiter(path, header_text, delimiter)
        header = [field.strip() for field in header_text.split(separator)]
        if len(set(header)) != len(header) or pre not in header or post not in header or '"' in header_text or any(
            column in header for column in ("kind", "type", "sign")
        ):
            raise _Fallback("a header the columnar reader does not handle")
        has_weight = weight in header
        if weight != "weight" and not has_weight:
            raise _Fallback("missing weight column")
        source = _open(path, max_bytes)
        try:
            table = csv.read_csv(
                source,
                read_options=csv.ReadOptions(block_size=1 << 24, skip_rows=header_index + 1, column_names=header),
                parse_options=csv.ParseOptions(delimiter=separator),
                convert_options=csv.ConvertOptions(
                    include_columns=[pre, post] + ([weight] if has_weight else []),
                    column_types={pre: pa.dictionary(pa.int32(), pa.string()),
                                  post: pa.dictionary(pa.int32(), pa.string()), weight: pa.float64()},
                    strings_can_be_null=False,
                ),
            )
        except ConnectomeFileError:
            raise
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, KeyError, ValueError, OSError) as error:
            raise _Fallback(str(error)) from error
        finally:
            if not isinstance(source, str):
                source.close()
        if table.num_rows == 0:
            raise _Fallback("no rows")
        table = table.unify_dictionaries()
        pre_column, post_column = table.column(pre).combine_chunks(), table.column(post).combine_chunks()
        pre_names, post_names = _strip_names(pre_column.dictionary), _strip_names(post_column.dictionary)
        if has_weight:
            if table.column(weight).null_count:
                raise _Fallback("missing weight")
            weights = table.column(weight).to_numpy()
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise _Fallback("bad weight")
        else:
            weights = np.ones(table.num_rows)
        # one code per distinct (stripped) name across both columns
        name_codes, names = pd.factorize(np.concatenate([pre_names, post_names]))
        pre_code = name_codes[: len(pre_names)][pre_column.indices.to_numpy(zero_copy_only=False)]
        post_code = name_codes[len(pre_names):][post_column.indices.to_numpy(zero_copy_only=False)]
    except _Fallback:
        return strict()
    table = pre_column = post_column = None

    keep = weights > 0
    if not keep.any():
        return strict()
    pre_code, post_code, weights = pre_code[keep], post_code[keep], weights[keep]
    interleaved = np.empty(2 * len(pre_code), dtype=np.int64)
    interleaved[0::2], interleaved[1::2] = pre_code, post_code
    order = pd.unique(interleaved)  # cells in order of first appearance among kept rows
    del interleaved
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(order))
    cell_names = np.asarray(names, dtype=object)[order]
    n_cells = len(order)
    pair_codes, pairs = pd.factorize(rank[pre_code] * n_cells + rank[post_code])
    summed = pd.Series(weights).groupby(pair_codes).sum().to_numpy()  # pandas' sum, as the strict reader's
    if not np.all(np.isfinite(summed)):
        return strict()  # an overflowing sum: the strict reader names its line
    chemical = pd.DataFrame({"pre": cell_names[pairs // n_cells], "post": cell_names[pairs % n_cells],
                             "weight": summed})
    neurons = pd.DataFrame({"cell_class": "other", "neurotransmitter": None, "sign": np.int8(0)},
                           index=pd.Index(cell_names, name="name"))
    electrical = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object),
                               "weight": pd.Series(dtype=np.float64)})
    metadata = {"source_file": str(path), "format": "edge list", "weight_unit": f"column {weight!r} of the file"}
    from .model import Connectome

    return Connectome(neurons, chemical, electrical, metadata, name or readers._default_name(path))
