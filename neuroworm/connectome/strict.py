"""The strict readers: every field of a connectome file parsed and checked in Python.

:mod:`neuroworm.connectome.readers` documents the formats and picks a reader:
these, which name the line and column of any bad value, or, for large plain
files, the columnar pyarrow reader (:mod:`neuroworm.connectome.columnar`),
which falls back to these whenever it cannot vouch for a value.
"""

import numpy as np
import pandas as pd

from ..errors import ConnectomeError, ConnectomeFileError
from .flywire_format import CONTROL_CHARACTERS, FLYWIRE_CLASSES, FLYWIRE_NEUROTRANSMITTERS, FLYWIRE_UNKNOWN_NT, ROOT_ID
from .model import CELL_CLASSES, Connectome
from .textfiles import _as_path, _read_table

__all__ = ["CLASS_WORDS", "KIND_WORDS", "SIGN_WORDS", "assemble", "default_name", "flywire_codes", "numeric_sign",
           "read_edge_list_strict", "read_flywire_codex_strict", "read_neuprint", "read_neuron_table"]

SIGN_WORDS = {
    "": 0, "0": 0, "unknown": 0, "none": 0, "nan": 0, "na": 0,
    "1": 1, "+1": 1, "+": 1, "excitatory": 1, "exc": 1,
    "-1": -1, "-": -1, "inhibitory": -1, "inh": -1,
}
KIND_WORDS = {
    "chemical": "chemical", "chem": "chemical", "synapse": "chemical", "chemical synapse": "chemical",
    "electrical": "electrical", "elec": "electrical", "gap junction": "electrical",
    "gap_junction": "electrical", "gapjunction": "electrical", "gj": "electrical", "ej": "electrical",
}
CLASS_WORDS = {c: c for c in CELL_CLASSES} | {
    "": "other", "interneuron": "inter", "sensory neuron": "sensory", "motor neuron": "motor",
    "motorneuron": "motor", "motoneuron": "motor", "unknown": "other",
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
    control = np.fromiter((CONTROL_CHARACTERS.search(v) is not None for v in values), bool, len(values))
    _fail_at(path, control, lines, column,
             lambda i: f"cell name {values[i]!r} contains a control character; names must be printable text")
    return values


def _root_ids(path, table, lines, column):
    """FlyWire root ids: whole numbers written as digits (not ``7.2e17``, which a spreadsheet makes of them)."""
    values = _names(path, table, lines, column)
    not_integer = np.fromiter((ROOT_ID.fullmatch(v) is None for v in values), bool, len(values))
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
    values = np.array([SIGN_WORDS.get(w, numeric_sign(w)) for w in words], dtype=object)
    _fail_at(path, values == None, lines, column,
             lambda i: f"unknown sign {raw[i]!r}; expected +1, -1, 0, 'excitatory', 'inhibitory' or empty")
    return values.astype(np.int8)


def numeric_sign(word):
    value = _to_float(word)
    return int(value) if value in (-1.0, 0.0, 1.0) else None


# --------------------------------------------------------------- neuron tables
def read_neuron_table(path, name_column="name", class_map=None, delimiter=None, max_bytes=None):
    """Neuron table file → (DataFrame indexed by name, whether it gave signs, line of each row)."""
    path = _as_path(path)
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
        classes = np.array([CLASS_WORDS.get(v.lower()) for v in table["cell_class"]], dtype=object)
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
def assemble(path, pre, post, weight, electrical, edge_sign, neurons, has_neuron_signs, name, metadata, lines=None):
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


def default_name(path):
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".tab", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "connectome"


def read_edge_list_strict(path, pre="pre", post="post", weight="weight", sign=None, kind=None, neurons=None,
                           delimiter=None, name=None, max_bytes=None):
    """:func:`~neuroworm.connectome.readers.read_edge_list` with every field parsed in Python (names the line of any bad value)."""
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
        kinds = np.array([KIND_WORDS.get(v.lower()) for v in table[kind_column]], dtype=object)
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
        neuron_table, has_signs, _ = read_neuron_table(table_path, max_bytes=max_bytes)
    if neuron_table is not None:
        _check_known(path, {pre: pre_names, post: post_names}, lines, neuron_table.index, table_path)
    metadata = {"source_file": str(path), "format": "edge list", "weight_unit": f"column {weight!r} of the file"}
    return assemble(path, pre_names, post_names, weights, electrical, edge_sign, neuron_table, has_signs,
                     name or default_name(path), metadata, lines)


def read_flywire_codex_strict(path, neurons=None, name=None, max_bytes=None):
    """:func:`~neuroworm.connectome.readers.read_flywire_codex` with every field parsed in Python (names the line of any bad value)."""
    path = _as_path(path)
    columns = ["pre_root_id", "post_root_id", "syn_count", "nt_type"]
    table, lines = _read_table(path, columns, max_bytes=max_bytes)
    pre, post = _root_ids(path, table, lines, "pre_root_id"), _root_ids(path, table, lines, "post_root_id")
    weights = _whole(path, _weights(path, table, lines, "syn_count"), table, lines, "syn_count")
    codes = flywire_codes(path, table["nt_type"].to_numpy(object), lines, "nt_type")

    neuron_table = None
    if neurons is not None:
        table_path = _as_path(neurons)
        neuron_table, _, neuron_lines = read_neuron_table(table_path, "root_id", ("super_class", FLYWIRE_CLASSES),
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
        cell_codes = flywire_codes(table_path, neuron_table["nt_type"].to_numpy(object), neuron_lines, "nt_type")
    else:
        cell_codes = winners.reindex(neuron_table.index).fillna("").to_numpy(object)
    neuron_table["neurotransmitter"] = [FLYWIRE_NEUROTRANSMITTERS.get(c, (None, 0))[0] for c in cell_codes]
    neuron_table["sign"] = np.array([FLYWIRE_NEUROTRANSMITTERS.get(c, (None, 0))[1] for c in cell_codes], dtype=np.int8)
    metadata = {"source_file": str(path), "format": "FlyWire Codex connections", "weight_unit": "synapses",
                "sign_rule": "per cell, majority nt_type of its output synapses; ACH +1, GABA -1, GLUT -1, else 0"}
    return assemble(path, pre, post, weights, np.zeros(len(pre), dtype=bool), None, neuron_table, True,
                     name or default_name(path), metadata, lines)


def flywire_codes(path, raw, lines, column):
    codes = np.array([str(v).strip().upper() for v in raw], dtype=object)
    codes[np.isin(codes, list(FLYWIRE_UNKNOWN_NT))] = ""
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
        :data:`~neuroworm.connectome.textfiles.MAX_DECOMPRESSED_BYTES`).

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
    neuron_table, _, _ = read_neuron_table(neurons_path, "bodyId", max_bytes=max_bytes)
    neuron_table = neuron_table.rename(columns={"type": "cell_type"})
    table, lines = _read_table(connections_path, ["bodyId_pre", "bodyId_post", "weight"], max_bytes=max_bytes)
    pre = _names(connections_path, table, lines, "bodyId_pre")
    post = _names(connections_path, table, lines, "bodyId_post")
    weights = _weights(connections_path, table, lines, "weight")
    _check_known(connections_path, {"bodyId_pre": pre, "bodyId_post": post}, lines, neuron_table.index, neurons_path)
    metadata = {"source_file": str(connections_path), "neurons_file": str(neurons_path),
                "format": "neuPrint export", "weight_unit": "synapses"}
    return assemble(connections_path, pre, post, weights, np.zeros(len(pre), dtype=bool), None, neuron_table,
                     True, name or connections_path.resolve().parent.name or "neuprint", metadata, lines)
