"""Readers for users' own connectomes: edge lists, FlyWire Codex, neuPrint, NetworkX.

Every reader returns a :class:`~neuroworm.connectome.model.Connectome` and,
for bad input, raises :class:`~neuroworm.errors.ConnectomeFileError` naming
the file, the line (1-based; the header is line 1) and the column at fault:
a missing or empty file, a corrupt ``.gz``, text that is not UTF-8, missing
columns (the message lists those found), a weight that is not a
non-negative finite number, an unknown ``kind`` or ``sign`` value, or an
edge naming a cell absent from a given neuron table.

Conventions shared by the file readers:

* ``.gz`` files (or any file starting with the gzip magic bytes) are
  decompressed, up to ``max_bytes`` of text (default
  :data:`MAX_DECOMPRESSED_BYTES`, 4 GiB: a small archive can expand to more
  memory than the machine has); text must be UTF-8 (a byte-order mark is
  allowed).
* Blank lines are skipped; every other line must have as many fields as the
  header (empty trailing fields beyond it are ignored).
* Cell names are strings with surrounding white space removed; control
  characters (a NUL byte, an escape sequence) inside a name are errors.
* Rows with weight 0 are dropped (a connectome stores only synapses that
  exist); negative, NaN or infinite weights are errors.
* Rows repeating a chemical pair ``pre -> post`` are summed into one edge;
  a sum too large for a float names the pair's first line.
"""

import re

import numpy as np
import pandas as pd

from ..errors import ConnectomeError, ConnectomeFileError
from .model import CELL_CLASSES, Connectome
from .textfiles import MAX_DECOMPRESSED_BYTES, _as_path, _read_table

__all__ = ["FLYWIRE_NEUROTRANSMITTERS", "MAX_DECOMPRESSED_BYTES", "read_edge_list", "read_flywire_codex",
           "read_neuprint"]

COLUMNAR_MIN_BYTES = 16 * 2**20
"""Files at least this large are read by the columnar pyarrow reader (same result, a fraction of the memory)."""

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ROOT_ID = re.compile(r"[0-9]+")

_SIGN_WORDS = {
    "": 0, "0": 0, "unknown": 0, "none": 0, "nan": 0, "na": 0,
    "1": 1, "+1": 1, "+": 1, "excitatory": 1, "exc": 1,
    "-1": -1, "-": -1, "inhibitory": -1, "inh": -1,
}
_KIND_WORDS = {
    "chemical": "chemical", "chem": "chemical", "synapse": "chemical", "chemical synapse": "chemical",
    "electrical": "electrical", "elec": "electrical", "gap junction": "electrical",
    "gap_junction": "electrical", "gapjunction": "electrical", "gj": "electrical", "ej": "electrical",
}
_CLASS_WORDS = {c: c for c in CELL_CLASSES} | {
    "": "other", "interneuron": "inter", "sensory neuron": "sensory", "motor neuron": "motor",
    "motorneuron": "motor", "motoneuron": "motor", "unknown": "other",
}

FLYWIRE_NEUROTRANSMITTERS = {
    "ACH": ("acetylcholine", 1),
    "GABA": ("GABA", -1),
    "GLUT": ("glutamate", -1),
    "SER": ("serotonin", 0),
    "DA": ("dopamine", 0),
    "OCT": ("octopamine", 0),
}
"""FlyWire ``nt_type`` code → (neurotransmitter, sign). Glutamate is inhibitory
in the fly central brain (glutamate-gated chloride channel GluClα; Liu &
Wilson 2013); the monoamines are modulatory and left unsigned (0)."""

_FLYWIRE_UNKNOWN_NT = {"", "NAN", "NA", "NONE", "UNKNOWN"}
_FLYWIRE_CLASSES = {
    "sensory": "sensory", "motor": "motor", "endocrine": "other", "central": "inter", "optic": "inter",
    "ascending": "inter", "descending": "inter", "visual_projection": "inter", "visual_centrifugal": "inter",
}


# ---------------------------------------------------------------- raw tables
def _fail_at(path, mask, lines, column, message):
    """Raise for the first ``True`` in ``mask``; ``message(i)`` describes row ``i``."""
    bad = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(bad):
        i = int(bad[0])
        raise ConnectomeFileError(path, message(i), row=int(lines[i]), column=column)


def _names(path, table, lines, column):
    values = table[column].to_numpy(object)
    _fail_at(path, values == "", lines, column, lambda i: "missing cell name")
    control = np.fromiter((_CONTROL_CHARACTERS.search(v) is not None for v in values), bool, len(values))
    _fail_at(path, control, lines, column,
             lambda i: f"cell name {values[i]!r} contains a control character; names must be printable text")
    return values


def _root_ids(path, table, lines, column):
    """FlyWire root ids: whole numbers written as digits (not ``7.2e17``, which a spreadsheet makes of them)."""
    values = _names(path, table, lines, column)
    not_integer = np.fromiter((_ROOT_ID.fullmatch(v) is None for v in values), bool, len(values))
    _fail_at(path, not_integer, lines, column,
             lambda i: f"root id {values[i]!r} is not an integer; FlyWire root ids are 18-digit integers "
             "(a spreadsheet may have rounded them to floats: export the column as text)")
    return values


def _whole(path, values, table, lines, column):
    """Refuse fractional counts (e.g. ``syn_count`` 2.5)."""
    raw = table[column].to_numpy(object)
    _fail_at(path, values != np.floor(values), lines, column,
             lambda i: f"expected a whole number of synapses, got {raw[i]!r}")
    return values


def _weights(path, table, lines, column):
    raw = table[column].to_numpy(object)
    try:
        values = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(float)
    except (ValueError, TypeError, OverflowError):
        values = np.array([_to_float(v) for v in raw])
    _fail_at(path, raw == "", lines, column, lambda i: "missing weight")
    _fail_at(path, ~np.isfinite(values), lines, column,
             lambda i: f"expected a non-negative finite number, got {raw[i]!r}")
    _fail_at(path, values < 0, lines, column, lambda i: f"weight must not be negative, got {raw[i]!r}")
    return values


def _to_float(text):
    try:
        return float(text)
    except (ValueError, OverflowError):
        return float("nan")


def _signs(path, table, lines, column):
    raw = table[column].to_numpy(object)
    words = np.array([str(v).strip().lower() for v in raw], dtype=object)
    values = np.array([_SIGN_WORDS.get(w, _numeric_sign(w)) for w in words], dtype=object)
    _fail_at(path, values == None, lines, column,
             lambda i: f"unknown sign {raw[i]!r}; expected +1, -1, 0, 'excitatory', 'inhibitory' or empty")
    return values.astype(np.int8)


def _numeric_sign(word):
    value = _to_float(word)
    return int(value) if value in (-1.0, 0.0, 1.0) else None


# --------------------------------------------------------------- neuron tables
def _read_neuron_table(path, name_column="name", class_map=None, delimiter=None, max_bytes=None):
    """Neuron table file → (DataFrame indexed by name, whether it gave signs, line of each row)."""
    table, lines = _read_table(path, [name_column], delimiter, max_bytes)
    names = _names(path, table, lines, name_column)
    duplicated = pd.Series(names).duplicated().to_numpy()
    _fail_at(path, duplicated, lines, name_column, lambda i: f"cell {names[i]!r} is listed twice")
    neurons = table.drop(columns=[name_column])
    neurons.index = pd.Index(names, name="name")
    if class_map is not None and class_map[0] in table.columns:
        column, mapping = class_map
        neurons["cell_class"] = [mapping.get(v.lower(), "other") for v in table[column]]
    elif "cell_class" in table.columns:
        classes = np.array([_CLASS_WORDS.get(v.lower()) for v in table["cell_class"]], dtype=object)
        _fail_at(path, classes == None, lines, "cell_class",
                 lambda i: f"unknown cell class {table['cell_class'].iloc[i]!r}; expected one of {CELL_CLASSES}")
        neurons["cell_class"] = classes
    else:
        neurons["cell_class"] = "other"
    if "neurotransmitter" in neurons.columns:
        neurons["neurotransmitter"] = neurons["neurotransmitter"].replace("", None)
    else:
        neurons["neurotransmitter"] = None
    has_sign = "sign" in table.columns
    neurons["sign"] = _signs(path, table, lines, "sign") if has_sign else np.int8(0)
    first = ["cell_class", "neurotransmitter", "sign"]
    neurons = neurons[first + [c for c in neurons.columns if c not in first]]
    return neurons, has_sign, lines


def _check_known(path, endpoints, lines, known, table_path):
    """Raise for the first row whose cell, in any of ``endpoints`` ({column: names}), is not ``known``."""
    first = None
    for column, names in endpoints.items():
        bad = np.flatnonzero(~pd.Series(names, dtype=object).isin(known).to_numpy())
        if len(bad) and (first is None or bad[0] < first[0]):
            first = (int(bad[0]), column, names)
    if first is not None:
        i, column, names = first
        raise ConnectomeFileError(
            path, f"cell {names[i]!r} is not in the neuron table {str(table_path)!r}", row=int(lines[i]), column=column
        )


# ------------------------------------------------------------------ assembly
def _assemble(path, pre, post, weight, electrical, edge_sign, neurons, has_neuron_signs, name, metadata, lines=None):
    """Build the Connectome from parsed edge arrays (documented in read_edge_list)."""
    keep = weight > 0
    pre, post, weight, electrical = pre[keep], post[keep], weight[keep], electrical[keep]
    edge_sign = None if edge_sign is None else edge_sign[keep]
    lines = None if lines is None else np.asarray(lines)[keep]

    chemical_rows = ~electrical
    chemical = pd.DataFrame({"pre": pre[chemical_rows], "post": post[chemical_rows], "weight": weight[chemical_rows]})
    if edge_sign is not None:
        chemical["sign"] = edge_sign[chemical_rows]
        chemical = _majority_sign(chemical)
    else:
        chemical = chemical.groupby(["pre", "post"], sort=False, as_index=False)["weight"].sum()
    _check_sums(path, chemical, pre[chemical_rows], post[chemical_rows],
                None if lines is None else lines[chemical_rows])

    a, b, w = pre[electrical], post[electrical], weight[electrical]
    distinct = a != b
    a, b, w = a[distinct], b[distinct], w[distinct]
    forward = np.array([str(x) < str(y) for x, y in zip(a, b, strict=True)], dtype=bool)
    gap = pd.DataFrame({"a": np.where(forward, a, b), "b": np.where(forward, b, a), "forward": forward, "weight": w})
    per_direction = gap.groupby(["a", "b", "forward"], sort=False, as_index=False)["weight"].sum()
    gap = per_direction.groupby(["a", "b"], sort=False, as_index=False)["weight"].mean()

    if neurons is None:
        order = dict.fromkeys(np.column_stack([pre, post]).ravel().tolist()) if len(pre) else {}
        if not order:
            raise ConnectomeFileError(path, "contains no synapse with a positive weight")
        neurons = pd.DataFrame(
            {"cell_class": "other", "neurotransmitter": None, "sign": np.int8(0)},
            index=pd.Index(list(order), name="name"),
        )
    if not has_neuron_signs and edge_sign is not None and len(chemical):
        nonzero = chemical[chemical["sign"] != 0]
        agreed = nonzero.groupby("pre")["sign"].agg(lambda s: s.iloc[0] if (s == s.iloc[0]).all() else 0)
        neurons["sign"] = agreed.reindex(neurons.index).fillna(0).astype(np.int8).to_numpy()
    try:
        return Connectome(neurons, chemical, gap, metadata, name)
    except ConnectomeFileError:
        raise
    except ConnectomeError as error:
        raise ConnectomeFileError(path, str(error)) from error


def _check_sums(path, summed, pre, post, lines):
    """Name the first line of a pair whose summed weight overflowed to infinity."""
    overflow = ~np.isfinite(summed["weight"].to_numpy(float))
    if not overflow.any():
        return
    pair = summed.iloc[int(np.flatnonzero(overflow)[0])]
    rows = np.flatnonzero((pre == pair["pre"]) & (post == pair["post"]))
    row = None if lines is None or not len(rows) else int(lines[rows[0]])
    raise ConnectomeFileError(
        path, f"the weights of the {len(rows)} rows of synapse {pair['pre']!r} -> {pair['post']!r} sum to more "
        "than a float can hold", row=row, column="weight",
    )


def _majority_sign(chemical):
    """Sum duplicated pairs; a pair's sign is the one carrying most weight (0 on a tie)."""
    by_sign = chemical.groupby(["pre", "post", "sign"], sort=False, as_index=False)["weight"].sum()
    best = by_sign.groupby(["pre", "post"], sort=False)["weight"].transform("max")
    winners = by_sign[by_sign["weight"] == best]
    tied = winners.duplicated(["pre", "post"], keep=False).to_numpy()
    signs = winners.assign(sign=np.where(tied, 0, winners["sign"])).drop_duplicates(["pre", "post"])
    totals = chemical.groupby(["pre", "post"], sort=False, as_index=False)["weight"].sum()
    totals["sign"] = signs.set_index(["pre", "post"])["sign"].reindex(
        pd.MultiIndex.from_frame(totals[["pre", "post"]])
    ).to_numpy(np.int8)
    return totals


def _default_name(path):
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".tab", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "connectome"


# ------------------------------------------------------------------- readers
def read_edge_list(path, pre="pre", post="post", weight="weight", sign=None, kind=None,
                   neurons=None, delimiter=None, name=None, max_bytes=None):
    """Read a connectome from a delimited edge list (CSV or TSV, optionally gzipped).

    Format: one synapse per row, with a header naming at least the ``pre``
    and ``post`` cell columns; the ``weight`` column is optional when absent
    from the header (every row then weighs 1)::

        pre,post,weight,kind,sign
        ASHL,AVAL,12,chemical,+1
        AVAL,AVAR,3,electrical,

    Parameters
    ----------
    path : str or path-like
        The edge list; ``.gz`` is decompressed.
    pre, post, weight : str
        Column names of the presynaptic cell, postsynaptic cell and weight.
    sign : str, optional
        Column of per-edge signs: +1/-1/0, ``excitatory``/``inhibitory``/
        ``unknown`` or empty. Default: a column named ``sign`` if present.
    kind : str or False, optional
        Column saying ``chemical`` or ``electrical`` (also ``gap junction``,
        ``gj``, ``ej``). Default: ``kind`` or else ``type`` if present,
        otherwise every row is chemical; ``False`` means every row is chemical.
    neurons : str, path-like or pandas.DataFrame, optional
        Neuron table file with columns ``name`` (required), ``cell_class``
        (one of sensory, inter, motor, muscle, other; empty → other),
        ``neurotransmitter``, ``sign`` and any others (kept); or such a
        DataFrame indexed by name. Every edge must name a cell of it.
        Without it the cells are those named by the edges, in order of first
        appearance, with class ``other``.
    delimiter : str, optional
        Field separator; by default taken from the extension (``.tsv``/
        ``.tab`` → tab, else comma) when the header contains it, otherwise
        the most frequent of tab, comma, semicolon, bar in the header.
    name : str, optional
        Connectome name (default: the file name without extensions).
    max_bytes : int, optional
        Largest text a compressed file may expand to (default
        :data:`MAX_DECOMPRESSED_BYTES`).

    Returns
    -------
    Connectome

    Raises
    ------
    ConnectomeFileError
        Naming file, line and column for any bad input (see module doc).

    Notes
    -----
    * Duplicated chemical pairs are summed into one edge; with a ``sign``
      column its sign is the sign carrying most of the pair's weight (0 on a
      tie).
    * Electrical rows are stored once per unordered pair ``a < b`` (string
      order); gap junctions to the same cell are dropped. Rows repeating
      one direction are summed; when a pair is listed in both directions
      (files that write a symmetric gap-junction matrix) the weight is the
      mean of the two directions' totals, so a symmetric listing is not
      counted twice and an asymmetric one is averaged.
    * A cell's sign is the neuron table's ``sign`` if given; otherwise, with
      a per-edge ``sign`` column, the common sign of its outgoing edges
      (0 if they disagree); otherwise 0.
    * Plain edge lists (no ``kind``, ``type`` or ``sign`` column, no neuron
      table) of :data:`COLUMNAR_MIN_BYTES` or more are read by
      :func:`neuroworm.connectome.columnar.read_edge_list_columnar`: the same
      connectome, a fraction of the time and memory.
    """
    path = _as_path(path)
    plain = sign is None and (kind is None or kind is False) and neurons is None
    if plain and path.is_file() and path.stat().st_size >= COLUMNAR_MIN_BYTES:
        try:
            from .columnar import read_edge_list_columnar
        except ImportError:  # pyarrow missing: the strict reader still works, slowly
            pass
        else:
            return read_edge_list_columnar(path, pre=pre, post=post, weight=weight, delimiter=delimiter, name=name,
                                           max_bytes=max_bytes)
    return _read_edge_list_strict(path, pre, post, weight, sign, kind, neurons, delimiter, name, max_bytes)


def _read_edge_list_strict(path, pre="pre", post="post", weight="weight", sign=None, kind=None, neurons=None,
                           delimiter=None, name=None, max_bytes=None):
    """:func:`read_edge_list` with every field parsed in Python (names the line of any bad value)."""
    path = _as_path(path)
    table, lines = _read_table(path, [pre, post], delimiter, max_bytes)
    if weight != "weight" and weight not in table.columns:
        raise ConnectomeFileError(path, f"missing column {weight!r} (weight); found {list(table.columns)}", row=1)
    weights = _weights(path, table, lines, weight) if weight in table.columns else np.ones(len(table))
    kind_column = kind if kind else None
    if kind is None:
        kind_column = next((c for c in ("kind", "type") if c in table.columns), None)
    elif kind and kind not in table.columns:
        raise ConnectomeFileError(path, f"missing column {kind!r} (kind); found {list(table.columns)}", row=1)
    if kind_column is not None:
        kinds = np.array([_KIND_WORDS.get(v.lower()) for v in table[kind_column]], dtype=object)
        _fail_at(path, kinds == None, lines, kind_column,
                 lambda i: f"unknown synapse kind {table[kind_column].iloc[i]!r}; expected 'chemical' or 'electrical'")
        electrical = kinds == "electrical"
    else:
        electrical = np.zeros(len(table), dtype=bool)
    sign_column = sign if sign is not None else ("sign" if "sign" in table.columns else None)
    if sign_column is not None and sign_column not in table.columns:
        raise ConnectomeFileError(path, f"missing column {sign_column!r} (sign); found {list(table.columns)}", row=1)
    edge_sign = _signs(path, table, lines, sign_column) if sign_column else None
    pre_names = _names(path, table, lines, pre)
    post_names = _names(path, table, lines, post)

    neuron_table, has_signs = None, False
    if isinstance(neurons, pd.DataFrame):
        neuron_table, has_signs, table_path = neurons.copy(), "sign" in neurons.columns, "<DataFrame>"
    elif neurons is not None:
        table_path = _as_path(neurons)
        neuron_table, has_signs, _ = _read_neuron_table(table_path, max_bytes=max_bytes)
    if neuron_table is not None:
        _check_known(path, {pre: pre_names, post: post_names}, lines, neuron_table.index, table_path)
    metadata = {"source_file": str(path), "format": "edge list", "weight_unit": f"column {weight!r} of the file"}
    return _assemble(path, pre_names, post_names, weights, electrical, edge_sign, neuron_table, has_signs,
                     name or _default_name(path), metadata, lines)


def read_flywire_codex(path, neurons=None, name=None, max_bytes=None):
    """Read a FlyWire Codex connection table (``connections.csv`` or ``.csv.gz``).

    Format (FlyWire Codex download "Connections", Dorkenwald et al. 2024;
    Schlegel et al. 2024): columns ``pre_root_id, post_root_id, neuropil,
    syn_count, nt_type``, one row per pair and neuropil. Rows of a pair are
    summed over neuropils into one chemical edge weighing its synapse count.

    Parameters
    ----------
    path : str or path-like
    neurons : str or path-like, optional
        A Codex cell table with a ``root_id`` column, e.g.
        ``classification.csv``; its ``super_class`` gives the cell class
        (sensory → sensory, motor → motor, endocrine → other, every other
        super class (central, optic, ascending, descending, visual
        projection, visual centrifugal) → inter), its other columns are kept,
        and a ``nt_type`` column there overrides the majority vote below.
        Every connection must name a cell of it. Without it, the cells are
        those named by the connections, with class ``other``.
    name : str, optional
        Default: the file name without extensions.
    max_bytes : int, optional
        Largest text a compressed file may expand to (default
        :data:`MAX_DECOMPRESSED_BYTES`).

    Returns
    -------
    Connectome
        Cell names are the root ids as strings; ``weight`` counts synapses.

    Raises
    ------
    ConnectomeFileError
        Also for a root id that is not written as an integer (``7.2e17``)
        and a ``syn_count`` that is not whole.

    Notes
    -----
    Files of :data:`COLUMNAR_MIN_BYTES` or more are read by
    :func:`neuroworm.connectome.columnar.read_flywire_codex_columnar`, which
    gives the same connectome with a fraction of the time and memory.

    A cell's neurotransmitter is the ``nt_type`` carrying most of its
    outgoing synapses (ties or no prediction: unknown), and its sign follows
    :data:`FLYWIRE_NEUROTRANSMITTERS`: ACH +1; GABA -1; GLUT -1, since in
    the fly central brain glutamate acts mostly through the glutamate-gated
    chloride channel GluClα (Liu & Wilson 2013); SER, DA, OCT 0
    (modulatory). Empty, ``NA`` or ``nan`` mean no prediction; any other
    code is an error.

    References
    ----------
    Dorkenwald, S. et al. (2024). Neuronal wiring diagram of an adult brain.
    Nature 634, 124-138.
    Liu, W. W. and Wilson, R. I. (2013). Glutamate is an inhibitory
    neurotransmitter in the Drosophila olfactory system. PNAS 110(25),
    10294-10299.
    """
    path = _as_path(path)
    if path.is_file() and path.stat().st_size >= COLUMNAR_MIN_BYTES:
        try:
            from .columnar import read_flywire_codex_columnar
        except ImportError:  # pyarrow missing: the strict reader still works, slowly
            pass
        else:
            return read_flywire_codex_columnar(path, neurons=neurons, name=name, max_bytes=max_bytes)
    return _read_flywire_codex_strict(path, neurons, name, max_bytes)


def _read_flywire_codex_strict(path, neurons=None, name=None, max_bytes=None):
    """:func:`read_flywire_codex` with every field parsed in Python (names the line of any bad value)."""
    path = _as_path(path)
    columns = ["pre_root_id", "post_root_id", "syn_count", "nt_type"]
    table, lines = _read_table(path, columns, max_bytes=max_bytes)
    pre, post = _root_ids(path, table, lines, "pre_root_id"), _root_ids(path, table, lines, "post_root_id")
    weights = _whole(path, _weights(path, table, lines, "syn_count"), table, lines, "syn_count")
    codes = _flywire_codes(path, table["nt_type"].to_numpy(object), lines, "nt_type")

    neuron_table = None
    if neurons is not None:
        table_path = _as_path(neurons)
        neuron_table, _, neuron_lines = _read_neuron_table(table_path, "root_id", ("super_class", _FLYWIRE_CLASSES),
                                                           max_bytes=max_bytes)
        _check_known(path, {"pre_root_id": pre, "post_root_id": post}, lines, neuron_table.index, table_path)
    votes = pd.DataFrame({"pre": pre, "code": codes, "weight": weights})
    votes = votes[votes["code"] != ""].groupby(["pre", "code"], as_index=False)["weight"].sum()
    best = votes.groupby("pre")["weight"].transform("max")
    winners = votes[votes["weight"] == best]
    winners = winners[~winners.duplicated("pre", keep=False)].set_index("pre")["code"]

    if neuron_table is None:
        order = dict.fromkeys(np.column_stack([pre, post]).ravel().tolist())
        neuron_table = pd.DataFrame({"cell_class": "other"}, index=pd.Index(list(order), name="name"))
        cell_codes = winners.reindex(neuron_table.index).fillna("").to_numpy(object)
    elif "nt_type" in neuron_table.columns:
        cell_codes = _flywire_codes(table_path, neuron_table["nt_type"].to_numpy(object), neuron_lines, "nt_type")
    else:
        cell_codes = winners.reindex(neuron_table.index).fillna("").to_numpy(object)
    neuron_table["neurotransmitter"] = [FLYWIRE_NEUROTRANSMITTERS.get(c, (None, 0))[0] for c in cell_codes]
    neuron_table["sign"] = np.array([FLYWIRE_NEUROTRANSMITTERS.get(c, (None, 0))[1] for c in cell_codes], dtype=np.int8)
    metadata = {"source_file": str(path), "format": "FlyWire Codex connections", "weight_unit": "synapses",
                "sign_rule": "per cell, majority nt_type of its output synapses; ACH +1, GABA -1, GLUT -1, else 0"}
    return _assemble(path, pre, post, weights, np.zeros(len(pre), dtype=bool), None, neuron_table, True,
                     name or _default_name(path), metadata, lines)


def _flywire_codes(path, raw, lines, column):
    codes = np.array([str(v).strip().upper() for v in raw], dtype=object)
    codes[np.isin(codes, list(_FLYWIRE_UNKNOWN_NT))] = ""
    _fail_at(path, ~np.isin(codes, [*FLYWIRE_NEUROTRANSMITTERS, ""]), lines, column,
             lambda i: f"unknown nt_type {raw[i]!r}; expected one of {sorted(FLYWIRE_NEUROTRANSMITTERS)} or empty")
    return codes


def read_neuprint(neurons_path, connections_path, name=None, max_bytes=None):
    """Read a neuPrint export (hemibrain, MANC, ...): traced neurons and their connections.

    Format (neuPrint "exported-traced-adjacencies", Scheffer et al. 2020):
    ``traced-neurons.csv`` with columns ``bodyId, type, instance`` and
    ``traced-total-connections.csv`` with ``bodyId_pre, bodyId_post,
    weight`` (synapse counts summed over brain regions).

    Parameters
    ----------
    neurons_path : str or path-like
        ``traced-neurons.csv``; ``type`` and ``instance`` are optional and
        kept as columns ``cell_type`` and ``instance``.
    connections_path : str or path-like
        ``traced-total-connections.csv``; every body id must be in the
        neuron file.
    name : str, optional
        Default: the connection file's folder name.
    max_bytes : int, optional
        Largest text a compressed file may expand to (default
        :data:`MAX_DECOMPRESSED_BYTES`).

    Returns
    -------
    Connectome
        Cell names are body ids as strings; class ``other``; sign 0 and no
        neurotransmitter (neuPrint's export gives none).

    References
    ----------
    Scheffer, L. K. et al. (2020). A connectome and analysis of the adult
    Drosophila central brain. eLife 9, e57443.
    """
    neurons_path, connections_path = _as_path(neurons_path), _as_path(connections_path)
    neuron_table, _, _ = _read_neuron_table(neurons_path, "bodyId", max_bytes=max_bytes)
    neuron_table = neuron_table.rename(columns={"type": "cell_type"})
    table, lines = _read_table(connections_path, ["bodyId_pre", "bodyId_post", "weight"], max_bytes=max_bytes)
    pre = _names(connections_path, table, lines, "bodyId_pre")
    post = _names(connections_path, table, lines, "bodyId_post")
    weights = _weights(connections_path, table, lines, "weight")
    _check_known(connections_path, {"bodyId_pre": pre, "bodyId_post": post}, lines, neuron_table.index, neurons_path)
    metadata = {"source_file": str(connections_path), "neurons_file": str(neurons_path),
                "format": "neuPrint export", "weight_unit": "synapses"}
    return _assemble(connections_path, pre, post, weights, np.zeros(len(pre), dtype=bool), None, neuron_table,
                     True, name or connections_path.resolve().parent.name or "neuprint", metadata, lines)
