"""FlyWire-sized connection tables and edge lists, read column-wise by pyarrow.

A full FlyWire Codex export has about 16 million rows (one per pair of
neurons and neuropil); a plain edge list of 200 MB has 12.5 million.  The
strict readers of :mod:`neuroworm.connectome.readers` keep every field as a
Python string so that they can name the line of any bad value; at this
scale that costs tens of gigabytes and minutes.  The readers here stay
columnar from the file to the :class:`~neuroworm.connectome.model.Connectome`:

1. pyarrow's CSV reader parses the needed columns with explicit types:
   cell names (FlyWire root ids too, so that a cell is named as written) as
   dictionary-encoded text, weights as float64 or int64; the ``neuropil``
   column is never materialised.  An edge list is parsed on one thread (a
   multithreaded parse of the 12.5 M-row file below peaks at 3.1-3.3 times
   the file, one thread at 2.7-2.8, and was no faster on two shared cores);
2. only the distinct names become Python strings (stripped and checked);
   each parse block's dictionary is mapped to shared codes (pyarrow unifies
   one small entry per dictionary value, the blocks are not rewritten), and
   every row becomes two int32 cell codes, gathered block by block while
   each parsed block is released;
3. cells are ordered by first appearance and pairs summed on integer keys
   (a sort finds the few repeated pairs of an edge list; FlyWire's pairs,
   about four rows each, are factorised), with ``numpy.bincount`` where that
   sum is exact, else pandas' compensated sum as in the strict reader;
4. the codes are rewritten in place as positions in the neuron table and go
   to :meth:`Connectome._from_checked_edges`, which validates the neuron
   table and makes them the categorical ``pre`` and ``post`` of the
   connectome's data model (:func:`~neuroworm.connectome.model.endpoint_dtype`)
   without a string per row or a re-validation of millions of edges from
   Python objects.

The result is the strict readers' connectome -- same cells in the same
order, same edges in the same order, same weights bit for bit, same signs
(tests check this on generated files over many parse chunks) -- and so are
the errors: whenever the typed parse or a check fails (a root id written as
``7.2e17``, a fractional or missing ``syn_count``, an unknown ``nt_type``,
a cell missing from the neuron table, a control character in a name, an
overflowing sum), the strict reader reads the file again to name the line
and column.

Measured by ``benchmarks/bench_readers.py`` (README, Performance; mean of
two runs on a shared 2-core machine): a synthetic FlyWire-shaped file of
16 M rows (775 MiB) is read at 1.07 M rows/s with a peak of 1.50 times the
file; a 12.5 M-row edge list (212 MiB) at 1.65 M rows/s with a peak of 2.80
times the file (595 MiB), reached while pyarrow parses the file; the
imported libraries are 0.74 times the file and the finished connectome (two
int32 code columns and the float64 weights) 0.9 times.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConnectomeFileError
from ..limits import check_input_file, expanded_size, is_gzip, open_input, require_memory
from . import strict as strict_readers
from .flywire_format import CONTROL_CHARACTERS, FLYWIRE_CLASSES, FLYWIRE_NEUROTRANSMITTERS, FLYWIRE_UNKNOWN_NT, ROOT_ID
from .textfiles import _as_path, _sniff_delimiter, file_error

__all__ = ["read_edge_list_columnar", "read_flywire_codex_columnar"]

_COLUMNS = ("pre_root_id", "post_root_id", "syn_count", "nt_type")
_PARSE_BLOCK_BYTES = 1 << 24
"""Bytes of text pyarrow parses per block (one chunk, with its own dictionaries, per block)."""
_ROWS_PER_BLOCK = 1 << 20
"""Rows handled at once where a step works block by block to bound its temporary memory."""
_MAX_HEADER_BYTES = 1 << 20
"""Longest header line the columnar reader looks for (a longer one goes to the strict reader)."""
COLUMNAR_BYTES_PER_TEXT_BYTE = 3.5
"""Peak memory of the columnar parse per byte of text (measured 1.5 for FlyWire, 2.8 for edge lists; see above)."""


class _Fallback(Exception):
    """The typed parse cannot vouch for the file: let the strict reader find the line at fault."""


def _open(path, max_bytes, *, count=True):
    """What pyarrow parses: the path, or a stream gunzipping the file that stops at the limit.

    With ``count``, a gzip file is first decompressed into a 1 MiB buffer
    only to count its size (refused at the limit, whatever it would expand
    to), and the parse's memory (:data:`COLUMNAR_BYTES_PER_TEXT_BYTE` per
    byte of text) is checked against the memory available, before anything
    is parsed.
    """
    error = file_error(path)
    check_input_file(path, error)
    gzipped = is_gzip(path, error) or path.suffix.lower() == ".gz"
    if count:
        size = expanded_size(path, error, max_bytes=max_bytes, gzipped=gzipped)
        require_memory(int(size * COLUMNAR_BYTES_PER_TEXT_BYTE), f"parsing {size / 2**20:,.1f} MiB of text",
                       error=error, advice="read a smaller file, or read it on a machine with more memory")
    return open_input(path, error, max_bytes=max_bytes, gzipped=True) if gzipped else str(path)


def _read_typed(path, max_bytes):
    """The four columns as a pyarrow Table with strict types and one dictionary per column, or _Fallback."""
    import pyarrow as pa
    from pyarrow import csv

    names = pa.dictionary(pa.int32(), pa.string())
    source = _open(path, max_bytes)
    try:
        table = csv.read_csv(
            source,
            read_options=csv.ReadOptions(block_size=_PARSE_BLOCK_BYTES),
            parse_options=csv.ParseOptions(delimiter=","),
            convert_options=csv.ConvertOptions(
                include_columns=list(_COLUMNS),
                # root ids as text: a cell's name is its id as written, as in the strict reader
                column_types={"pre_root_id": names, "post_root_id": names, "syn_count": pa.int64(), "nt_type": names},
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
    if table.num_rows == 0 or table.column("syn_count").null_count:
        raise _Fallback("empty file or missing values")
    return table.unify_dictionaries()


def _codes(table):
    """nt_type per row as an int8 index into FLYWIRE_NEUROTRANSMITTERS' codes (-1: no prediction)."""
    known = list(FLYWIRE_NEUROTRANSMITTERS)
    column = table.column("nt_type")
    dictionary = [str(value).strip().upper() for value in column.chunk(0).dictionary.to_pylist()]
    normalised = ["" if code in FLYWIRE_UNKNOWN_NT else code for code in dictionary]
    if any(code not in known and code != "" for code in normalised):
        raise _Fallback("unknown nt_type")
    canonical = np.array([known.index(code) if code else -1 for code in normalised], dtype=np.int8)
    return _gather(canonical, column, np.int8)


def _gather(mapping, column, dtype):
    """``mapping[index]`` for every row of a dictionary ``column`` (chunk by chunk, no combined copy)."""
    out = np.empty(len(column), dtype=dtype)
    start = 0
    for chunk in column.chunks:
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        np.take(mapping, indices, out=out[start : start + len(indices)])
        start += len(indices)
    return out


def _cell_codes(columns, is_name=None):
    """Cells of each row as int32 codes into one array of distinct names, shared by ``columns``.

    ``columns`` is a list of columns, each a list of the chunks (pyarrow
    DictionaryArrays) of a dictionary-encoded column; a chunk may have a
    dictionary of its own (pyarrow's CSV reader encodes block by block).
    Each chunk is released (its entry set to None) once its codes are
    gathered, so that the parsed text and the codes of a column are not
    held at once.  The chunks' dictionaries are unified without
    rewriting the chunks: a small dictionary array with one entry per value
    of each chunk's dictionary is unified by pyarrow, which gives each
    chunk's map from its own indices to the shared ones.  The names are the
    unified values stripped of surrounding white space (values equal after
    stripping share a code); an empty name, a control character or a name
    ``is_name`` refuses raises _Fallback.  Only the distinct names become
    Python strings.
    """
    import pyarrow as pa

    entries = pa.chunked_array(
        [pa.DictionaryArray.from_arrays(pa.array(np.arange(len(chunk.dictionary), dtype=np.int32)), chunk.dictionary)
         for column in columns for chunk in column],
        type=pa.dictionary(pa.int32(), pa.string()),
    )
    unified = pa.table({"entries": entries}).unify_dictionaries().column(0)
    del entries
    stripped = _strip_names(unified.chunk(0).dictionary)
    if is_name is not None and not all(is_name(name) for name in stripped):
        raise _Fallback("a cell name the strict reader refuses")
    name_codes, names = pd.factorize(stripped)
    name_codes = name_codes.astype(np.int32)
    maps = iter(unified.chunks)
    codes = []
    for column in columns:
        out = np.empty(sum(len(chunk) for chunk in column), dtype=np.int32)
        start = 0
        for k, chunk in enumerate(column):
            column[k] = None
            chunk_codes = name_codes[next(maps).indices.to_numpy(zero_copy_only=False)]
            indices = chunk.indices.to_numpy(zero_copy_only=False)
            np.take(chunk_codes, indices, out=out[start : start + len(indices)])
            start += len(indices)
            del chunk, indices
            _release_parse_memory()
        codes.append(out)
    return codes, np.asarray(names, dtype=object)


def _numeric(column, dtype):
    """A numeric pyarrow ChunkedArray copied chunk by chunk into a NumPy array of its own."""
    out = np.empty(len(column), dtype=dtype)
    start = 0
    for chunk in column.chunks:
        out[start : start + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        start += len(chunk)
    return out


def _every_block(array, holds):
    """Whether ``holds(block)`` for every block of rows (temporaries of one block, not of the whole array)."""
    return all(holds(array[start : start + _ROWS_PER_BLOCK]) for start in range(0, len(array), _ROWS_PER_BLOCK))


def _compact(keep, *arrays):
    """``array[keep]`` for each array, written in place block by block (no second full-size array)."""
    kept = []
    for array in arrays:
        written = 0
        for start in range(0, len(array), _ROWS_PER_BLOCK):
            block = array[start : start + _ROWS_PER_BLOCK][keep[start : start + _ROWS_PER_BLOCK]]
            array[written : written + len(block)] = block
            written += len(block)
        kept.append(array[:written])
    return kept


def _first_appearance(first, second, n_codes):
    """Codes in order of first appearance reading each row's ``first`` then ``second`` code (unseen ones left out).

    Only one row per distinct code is looked at: the first row of each code
    in each column (a hash of the int32 codes, not of names).
    """
    never = np.iinfo(np.int64).max
    position = np.full(n_codes, never, dtype=np.int64)
    for parity, codes in enumerate((first, second)):
        for start in range(0, len(codes), _ROWS_PER_BLOCK):  # blocks keep the hash tables small
            block = codes[start : start + _ROWS_PER_BLOCK]
            rows = np.flatnonzero(~pd.Series(block, copy=False).duplicated().to_numpy())
            seen = block[rows]
            position[seen] = np.minimum(position[seen], 2 * (start + rows) + parity)
    appearing = np.flatnonzero(position != never)
    return appearing[np.argsort(position[appearing], kind="stable")]


def _sums_exactly(weights):
    """Whether a plain float64 sum of any subset of ``weights`` (non-negative) is exact.

    True for whole numbers whose total is below 2**53: every partial sum is
    then an exactly representable integer, so any order of summation, and
    pandas' compensated (Kahan) sum of the strict reader, give the same bits.
    """
    if weights.dtype.kind == "f":
        for start in range(0, len(weights), _ROWS_PER_BLOCK):
            block = weights[start : start + _ROWS_PER_BLOCK]
            if not np.array_equal(block, np.floor(block)):
                return False
    with np.errstate(over="ignore"):  # an overflowing total is simply not exact
        return float(weights.sum(dtype=np.float64)) < 2.0**53


def _pair_sums(pre_code, post_code, weights, n_codes, expect_distinct):
    """Each distinct pair (pre code, post code) once, with its summed weight; pairs in order of first appearance.

    With ``expect_distinct`` (plain edge lists, where a pair seldom repeats)
    a sorted copy of the int64 pair keys finds the repeated keys; where they
    cover at most a quarter of the rows, only those rows are grouped and the
    others stay as they are (no hash of all rows).  Otherwise all keys are
    factorised (codes in order of first
    appearance).  A pair's weights are summed by ``numpy.bincount`` where
    that is exact (:func:`_sums_exactly`), else by pandas' groupby sum, as
    in the strict reader.
    """
    def pair_keys():
        keys = pre_code.astype(np.int64)
        keys *= n_codes
        keys += post_code
        return keys

    def summed(codes, values, n_groups):
        if _sums_exactly(values):
            return np.bincount(codes, weights=values, minlength=n_groups)
        return pd.Series(np.asarray(values, dtype=np.float64)).groupby(codes).sum().to_numpy()

    def factorised():
        pair_codes, pairs = pd.factorize(pair_keys())
        return ((pairs // n_codes).astype(np.int32), (pairs % n_codes).astype(np.int32),
                summed(pair_codes, weights, len(pairs)))

    if not expect_distinct:
        return factorised()
    keys = pair_keys()
    keys.sort()
    repeats, extra_rows = [], 0
    for start in range(0, len(keys), _ROWS_PER_BLOCK):  # blocks overlapping by one key: small temporaries
        block = keys[start : start + _ROWS_PER_BLOCK + 1]
        same = block[1:] == block[:-1]
        repeats.append(block[1:][same])
        extra_rows += int(np.count_nonzero(same))
    del keys
    repeated = np.unique(np.concatenate(repeats)) if repeats else np.zeros(0, dtype=np.int64)
    if not len(repeated):
        return pre_code, post_code, weights
    if extra_rows + len(repeated) > len(weights) // 4:  # most rows repeat a pair after all: group them all
        return factorised()
    rows = []  # rows of repeated pairs
    for start in range(0, len(pre_code), _ROWS_PER_BLOCK):
        block = pre_code[start : start + _ROWS_PER_BLOCK].astype(np.int64) * n_codes
        block += post_code[start : start + _ROWS_PER_BLOCK]
        rows.append(start + np.flatnonzero(pd.Series(block, copy=False).isin(repeated).to_numpy()))
    rows = np.concatenate(rows)
    codes, _ = pd.factorize(pre_code[rows].astype(np.int64) * n_codes + post_code[rows])
    first = ~pd.Series(codes, copy=False).duplicated().to_numpy()
    weights[rows[first]] = summed(codes, weights[rows], int(first.sum()))  # codes follow first appearance, as rows
    keep = np.ones(len(weights), dtype=bool)
    keep[rows[~first]] = False
    return _compact(keep, pre_code, post_code, weights)


def _to_neuron_positions(codes, names, neuron_index):
    """Rewrite cell codes (indices into ``names``) in place as positions in ``neuron_index``, block by block."""
    position = neuron_index.get_indexer(names).astype(codes.dtype)  # one hash per distinct name, not per row
    for start in range(0, len(codes), _ROWS_PER_BLOCK):
        block = codes[start : start + _ROWS_PER_BLOCK]
        block[:] = position[block]
    return codes


def _strings(names, codes):
    """``names[codes]`` as the string array pandas makes of text, built by pyarrow (no Python object per row)."""
    import pyarrow as pa

    arrow_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if pd.Series(np.array([""], dtype=object)).dtype != arrow_dtype:  # an older pandas keeps text as objects
        return names[codes]
    dictionary = pa.array(names, type=pa.large_string())
    # block by block: each block's text buffer is sized once, the whole column is never built twice
    blocks = [dictionary.take(pa.array(codes[start : start + _ROWS_PER_BLOCK]))
              for start in range(0, len(codes), _ROWS_PER_BLOCK)]
    values = pa.chunked_array(blocks, type=pa.large_string())
    _release_parse_memory()
    return pd.arrays.ArrowStringArray(values, dtype=arrow_dtype)


def _release_parse_memory():
    """Hand the parser's freed buffers back to the system (pyarrow's pool keeps them for reuse otherwise)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _empty_electrical():
    return pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object),
                         "weight": pd.Series(dtype=np.float64)})


def read_flywire_codex_columnar(path, neurons=None, name=None, max_bytes=None):
    r"""Read a FlyWire Codex connection table of any size; same result as :func:`read_flywire_codex`.

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
        :data:`~neuroworm.connectome.MAX_DECOMPRESSED_BYTES`).

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
    A pair's weight is the sum of its rows' ``syn_count`` over neuropils,
    :math:`w_{ij} = \sum_{r:\,(pre_r, post_r) = (i, j)} \mathrm{syn\_count}_r`,
    and a cell's neurotransmitter the ``nt_type`` maximising
    :math:`\sum_{r:\,pre_r = i,\ nt_r = t} \mathrm{syn\_count}_r` (a tie:
    unknown), both summed with ``numpy.bincount`` over integer codes.
    """
    path = _as_path(path)
    if not path.exists() or path.is_dir():
        return strict_readers.read_flywire_codex_strict(path, neurons, name, max_bytes)
    try:
        table = _read_typed(path, max_bytes)
        row_nt = _codes(table)
        counts = _numeric(table.column("syn_count"), np.int64)
        if counts.min() < 0:
            raise _Fallback("negative syn_count")
        columns = [table.column("pre_root_id").chunks, table.column("post_root_id").chunks]
        table = None  # the codes and counts are all that is needed from here on
        _release_parse_memory()
        (pre_code, post_code), names = _cell_codes(columns, ROOT_ID.fullmatch)
    except _Fallback:
        return strict_readers.read_flywire_codex_strict(path, neurons, name, max_bytes)
    n_codes = len(names)

    # Cells in order of first appearance, reading each row's pre then post (as the strict reader does).
    order = _first_appearance(pre_code, post_code, n_codes)
    cell_names = names[order]

    # Each cell's neurotransmitter: the nt_type carrying most of its output synapses (ties: unknown),
    # from a (cells x codes) table of synapse totals and of whether any row voted.
    known = list(FLYWIRE_NEUROTRANSMITTERS)
    voted = row_nt >= 0
    keys = pre_code[voted].astype(np.int64) * len(known) + row_nt[voted]
    shape = (n_codes, len(known))
    totals = np.bincount(keys, weights=counts[voted], minlength=n_codes * len(known)).reshape(shape)
    present = np.bincount(keys, minlength=n_codes * len(known)).reshape(shape) > 0
    del keys, voted, row_nt
    totals[~present] = -np.inf
    is_best = present & (totals == totals.max(axis=1)[:, None])
    winner = np.where(is_best.sum(axis=1) == 1, is_best.argmax(axis=1), -1)[order]  # -1: no or tied prediction

    # Neuropils of a pair summed (rows of weight 0 dropped), pairs in order of first appearance.
    keep = counts > 0
    if not keep.all():
        pre_code, post_code, counts = _compact(keep, pre_code, post_code, counts)
    del keep
    pre_code, post_code, weights = _pair_sums(pre_code, post_code, counts, n_codes, expect_distinct=False)
    del counts

    if neurons is None:
        neuron_table = pd.DataFrame({"cell_class": "other"}, index=pd.Index(_strings(names, order), name="name"))
        cell_code = winner
    else:
        table_path = _as_path(neurons)
        neuron_table, _, neuron_lines = strict_readers.read_neuron_table(
            table_path, "root_id", ("super_class", FLYWIRE_CLASSES), max_bytes=max_bytes
        )
        position = pd.Index(cell_names).get_indexer(neuron_table.index)
        if len(np.setdiff1d(np.arange(len(order)), position)):  # a connection names a cell the table lacks
            return strict_readers.read_flywire_codex_strict(path, neurons, name, max_bytes)
        if "nt_type" in neuron_table.columns:
            given = strict_readers.flywire_codes(table_path, neuron_table["nt_type"].to_numpy(object), neuron_lines,
                                           "nt_type")
            cell_code = pd.Series(given).map({code: i for i, code in enumerate(known)}).fillna(-1).to_numpy(int)
        else:
            cell_code = np.where(position >= 0, winner[np.maximum(position, 0)], -1)
    transmitters = FLYWIRE_NEUROTRANSMITTERS
    transmitter_names = np.array([transmitters[code][0] for code in known] + [None], dtype=object)
    signs = np.array([transmitters[code][1] for code in known] + [0], dtype=np.int8)
    neuron_table["neurotransmitter"] = transmitter_names[cell_code]  # index -1 is the last entry: unknown
    neuron_table["sign"] = signs[cell_code]
    metadata = {"source_file": str(path), "format": "FlyWire Codex connections", "weight_unit": "synapses",
                "sign_rule": "per cell, majority nt_type of its output synapses; ACH +1, GABA -1, GLUT -1, else 0"}
    from .model import Connectome

    for codes in (pre_code, post_code):
        _to_neuron_positions(codes, names, neuron_table.index)
    return Connectome._from_checked_edges(neuron_table, pre_code, post_code, weights, _empty_electrical(), metadata,
                                          name or strict_readers.default_name(Path(path)))


def _first_line(path, max_bytes):
    """(text of the header line, number of lines before it) of a possibly gzipped file, or _Fallback.

    Reads at most 1,000 lines of at most 1 MiB each, whatever the file holds.
    """
    source = _open(path, max_bytes, count=False)
    try:
        with open(source, "rb") if isinstance(source, str) else source as stream:
            for number in range(1000):
                raw = stream.readline(_MAX_HEADER_BYTES)
                if not raw or (len(raw) == _MAX_HEADER_BYTES and not raw.endswith(b"\n")):
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
    if any(name == "" or CONTROL_CHARACTERS.search(name) for name in names):
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

    path = _as_path(path)

    def strict():
        return strict_readers.read_edge_list_strict(path, pre=pre, post=post, weight=weight, delimiter=delimiter,
                                                    name=name, max_bytes=max_bytes)

    if not path.is_file():
        return strict()
    try:
        header_text, header_index = _first_line(path, max_bytes)
        separator = _sniff_delimiter(path, header_text, delimiter)
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
                read_options=csv.ReadOptions(block_size=_PARSE_BLOCK_BYTES, skip_rows=header_index + 1, use_threads=False,
                                             column_names=header),
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
        _release_parse_memory()
        if table.num_rows == 0 or (has_weight and table.column(weight).null_count):
            raise _Fallback("no rows, or a missing weight")
        if has_weight:
            weights = _numeric(table.column(weight), np.float64)
            if not _every_block(weights, lambda block: np.isfinite(block).all() and (block >= 0).all()):
                raise _Fallback("bad weight")
        else:
            weights = np.ones(table.num_rows)
        columns = [table.column(pre).chunks, table.column(post).chunks]
        table = None
        _release_parse_memory()
        (pre_code, post_code), names = _cell_codes(columns)
    except _Fallback:
        return strict()

    if not _every_block(weights, lambda block: (block > 0).all()):  # rows of weight 0 are dropped
        keep = weights > 0
        if not keep.any():
            return strict()
        pre_code, post_code, weights = _compact(keep, pre_code, post_code, weights)
        del keep
    order = _first_appearance(pre_code, post_code, len(names))  # cells in order of first appearance, kept rows
    pre_code, post_code, weights = _pair_sums(pre_code, post_code, weights, len(names), expect_distinct=True)
    if not _every_block(weights, lambda block: np.isfinite(block).all()):
        return strict()  # an overflowing sum: the strict reader names its line
    neurons = pd.DataFrame({"cell_class": "other", "neurotransmitter": None, "sign": np.int8(0)},
                           index=pd.Index(_strings(names, order), name="name"))
    for codes in (pre_code, post_code):
        _to_neuron_positions(codes, names, neurons.index)
    metadata = {"source_file": str(path), "format": "edge list", "weight_unit": f"column {weight!r} of the file"}
    from .model import Connectome

    return Connectome._from_checked_edges(neurons, pre_code, post_code, weights, _empty_electrical(), metadata,
                                          name or strict_readers.default_name(path))
