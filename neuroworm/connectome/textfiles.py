"""Delimited text files of connectomes: opening, decompressing with a size limit, parsing to string tables.

Split from :mod:`neuroworm.connectome.readers`, whose conventions these
functions implement (see its module docstring): files must exist and be
UTF-8 text; ``.gz`` (or gzip magic bytes) is decompressed up to
``max_bytes``; the delimiter is taken from the extension or sniffed from the
header; every error is a :class:`~neuroworm.errors.ConnectomeFileError`
naming the file and, where there is one, the line.
"""

import csv
import io

import numpy as np
import pandas as pd

from ..errors import ConnectomeError, ConnectomeFileError
from ..limits import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    as_path,
    check_input_file,
    expanded_size,
    is_gzip,
    read_input_bytes,
    require_memory,
)

__all__ = ["MAX_DECOMPRESSED_BYTES", "STRICT_BYTES_PER_TEXT_BYTE", "file_error"]

MAX_DECOMPRESSED_BYTES = DEFAULT_MAX_DECOMPRESSED_BYTES
"""Default limit on the text a compressed connectome file may expand to (bytes); readers take ``max_bytes``,
and the environment variable ``NEUROWORM_MAX_DECOMPRESSED_BYTES`` replaces the default."""
STRICT_BYTES_PER_TEXT_BYTE = 40
"""Memory the strict parse takes per byte of text (a Python string per field, measured at 27-33 on edge lists)."""


def _as_path(path):
    return as_path(path, "a connectome file path", ConnectomeError)


def file_error(path):
    """The error maker of :mod:`neuroworm.limits` for a connectome file: a message -> ConnectomeFileError."""
    return lambda message: ConnectomeFileError(path, message)


_MEMORY_ADVICE = "read a smaller file, or read it on a machine with more memory"


def _read_text(path, max_bytes=None):
    """The file's text: a regular file, gzip (with a size limit, memory checked) and UTF-8 checked."""
    error = file_error(path)
    check_input_file(path, error)
    gzipped = is_gzip(path, error) or path.suffix.lower() == ".gz"
    size = expanded_size(path, error, max_bytes=max_bytes, gzipped=gzipped)
    require_memory(size * STRICT_BYTES_PER_TEXT_BYTE, f"reading {size / 2**20:,.1f} MiB of text with the strict reader",
                   error=error, advice=_MEMORY_ADVICE)
    raw = read_input_bytes(path, error, max_bytes=max_bytes, gzipped=gzipped, size=size)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as failure:
        line = raw.count(b"\n", 0, failure.start) + 1
        raise ConnectomeFileError(
            path, f"not UTF-8 text (byte 0x{raw[failure.start]:02x}); save the file as UTF-8", row=line
        ) from failure
    if not text.strip():
        raise ConnectomeFileError(path, "the file is empty")
    return text


def _sniff_delimiter(path, text, delimiter):
    if delimiter is not None:
        if not (isinstance(delimiter, str) and len(delimiter) == 1):
            raise ConnectomeError(f"delimiter must be one character, got {delimiter!r}")
        return delimiter
    header = next(line for line in text.splitlines() if line.strip())
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    by_extension = "\t" if suffixes and suffixes[-1] in (".tsv", ".tab") else ","
    if by_extension in header:
        return by_extension
    counts = {d: header.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else by_extension


def _read_table(path, required, delimiter=None, max_bytes=None):
    """Parse a delimited file into a DataFrame of strings and the line of each row.

    Returns ``(table, lines)``; ``lines[i]`` is the 1-based line of row ``i``.
    """
    text = _read_text(path, max_bytes)
    delimiter = _sniff_delimiter(path, text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, lines = None, [], []
    try:
        for row in reader:
            if not any(field.strip() for field in row):
                continue
            if header is None:
                header = [field.strip() for field in row]
                header_line = reader.line_num
                continue
            if len(row) > len(header) and not any(f.strip() for f in row[len(header):]):
                row = row[: len(header)]
            if len(row) != len(header):
                raise ConnectomeFileError(
                    path, f"has {len(row)} field(s) but the header (line {header_line}) has {len(header)}",
                    row=reader.line_num,
                )
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise ConnectomeFileError(path, f"malformed delimited text: {error}", row=reader.line_num) from error
    if header is None:
        raise ConnectomeFileError(path, "the file is empty: no line has a non-empty field")
    duplicated = [name for i, name in enumerate(header) if name in header[:i]]
    if duplicated:
        raise ConnectomeFileError(path, f"column {duplicated[0]!r} appears twice in the header", row=header_line)
    missing = [c for c in required if c not in header]
    if missing:
        raise ConnectomeFileError(
            path, f"missing column(s) {missing}; found {header} (delimiter {delimiter!r})", row=header_line
        )
    if not rows:
        raise ConnectomeFileError(path, "has a header but no data rows")
    table = pd.DataFrame({name: [row[i].strip() for row in rows] for i, name in enumerate(header)}, dtype=object)
    return table, np.asarray(lines)
