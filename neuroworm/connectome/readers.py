"""Readers for users' own connectomes: edge lists, FlyWire Codex, neuPrint, NetworkX.

Every reader returns a :class:`~neuroworm.connectome.model.Connectome` and,
for bad input, raises :class:`~neuroworm.errors.ConnectomeFileError` naming
the file, the line (1-based; the header is line 1) and the column at fault:
a missing or empty file, a corrupt ``.gz``, text that is not UTF-8, missing
columns (the message lists those found), a weight that is not a
non-negative finite number, an unknown ``kind`` or ``sign`` value, or an
edge naming a cell absent from a given neuron table.

Conventions shared by the file readers:

* Only regular files are read (a FIFO, a device or an overlong path is
  refused before any read). ``.gz`` files (or any file starting with the
  gzip magic bytes) are decompressed once into a 1 MiB buffer to count their
  text, refused past ``max_bytes`` (default :data:`MAX_DECOMPRESSED_BYTES`,
  4 GiB, or ``NEUROWORM_MAX_DECOMPRESSED_BYTES``: a small archive can expand
  to more memory than the machine has), and the parse's memory is checked
  before it starts (:mod:`neuroworm.limits`); text must be UTF-8 (a
  byte-order mark is allowed).
* Blank lines are skipped; every other line must have as many fields as the
  header (empty trailing fields beyond it are ignored).
* Cell names are strings with surrounding white space removed; control
  characters (a NUL byte, an escape sequence) inside a name are errors.
* Rows with weight 0 are dropped (a connectome stores only synapses that
  exist); negative, NaN or infinite weights are errors.
* Rows repeating a chemical pair ``pre -> post`` are summed into one edge;
  a sum too large for a float names the pair's first line.
"""

from . import strict
from .flywire_format import FLYWIRE_NEUROTRANSMITTERS
from .strict import read_neuprint
from .textfiles import MAX_DECOMPRESSED_BYTES, _as_path

__all__ = ["FLYWIRE_NEUROTRANSMITTERS", "MAX_DECOMPRESSED_BYTES", "read_edge_list", "read_flywire_codex",
           "read_neuprint"]

COLUMNAR_MIN_BYTES = 16 * 2**20
"""Files at least this large are read by the columnar pyarrow reader (same result, a fraction of the memory)."""


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
    return strict.read_edge_list_strict(path, pre, post, weight, sign, kind, neurons, delimiter, name, max_bytes)

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
    return strict.read_flywire_codex_strict(path, neurons, name, max_bytes)
