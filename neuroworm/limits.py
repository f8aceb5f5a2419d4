"""Limits on what a file or a number may make neuroworm allocate: one guard for every input.

Every reader of a user's file goes through the helpers here, so the rules
and the messages are the same everywhere:

* :func:`check_input_file` -- the path names an existing *regular* file
  (not a folder, a FIFO with no writer, ``/dev/zero`` or another device) and
  is not longer than the system allows; one line, before any byte is read;
* :func:`expanded_size` -- a gzip file is decompressed once, *counting* the
  bytes in a fixed 1 MiB buffer, and refused as soon as the count passes the
  limit (:func:`max_decompressed_bytes`, 4 GiB unless the caller or the
  ``NEUROWORM_MAX_DECOMPRESSED_BYTES`` environment variable says otherwise),
  so a decompression bomb costs the time to decompress up to the limit and
  about 1 MiB of memory, whatever it would expand to;
* :func:`require_memory` -- the reader then estimates what the parse of that
  many bytes takes and refuses, with the GiB needed and available, before
  allocating anything;
* :func:`open_input` and :func:`read_input_bytes` -- the data itself, read
  through a stream that stops at the limit in case the file changed between
  the count and the read;
* :func:`check_npz_members` -- an ``.npz`` archive's members are sized from
  their ``.npy`` headers (shape and dtype, a few hundred bytes each) and
  refused before NumPy allocates them;
* :func:`load_json` -- JSON nested deeper than :data:`MAX_JSON_DEPTH` is
  refused instead of exhausting the recursion limit.

The memory available (:func:`available_memory`) is the least of the
machine's ``MemAvailable``, the room left under the process's address-space
limit (``ulimit -v``) and the room left in its cgroup (containers).
"""

import errno
import gzip
import io
import json
import os
import resource
import stat
import zipfile
import zlib
from pathlib import Path

from .errors import ConfigError
from .validation import check_positive_int

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "MAX_DECOMPRESSED_BYTES_VARIABLE",
    "MAX_JSON_DEPTH",
    "as_path",
    "available_memory",
    "check_input_file",
    "check_npz_members",
    "expanded_size",
    "is_gzip",
    "load_json",
    "max_decompressed_bytes",
    "open_input",
    "read_input_bytes",
    "require_memory",
]

DEFAULT_MAX_DECOMPRESSED_BYTES = 4 * 2**30
"""Default limit on what one compressed input may expand to (bytes)."""
MAX_DECOMPRESSED_BYTES_VARIABLE = "NEUROWORM_MAX_DECOMPRESSED_BYTES"
"""Environment variable that replaces :data:`DEFAULT_MAX_DECOMPRESSED_BYTES` (a whole number of bytes)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of lists and objects accepted in a JSON document (settings, checkpoints, worm files)."""
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


def max_decompressed_bytes(max_bytes=None):
    """The limit on a compressed input's expanded size.

    Parameters
    ----------
    max_bytes : int, optional
        The caller's limit; by default the environment variable
        ``NEUROWORM_MAX_DECOMPRESSED_BYTES`` if set, else 4 GiB.

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        For a limit that is not a positive integer (the message names the
        parameter or the environment variable).
    """
    if max_bytes is not None:
        return check_positive_int("max_bytes", max_bytes)
    text = os.environ.get(MAX_DECOMPRESSED_BYTES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_DECOMPRESSED_BYTES
    try:
        value = int(text)
    except ValueError:
        value = text
    return check_positive_int(MAX_DECOMPRESSED_BYTES_VARIABLE, value)


def _cgroup_room():
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else max(int(limit) - used, 0)


def _address_space_room():
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm") as stream:
            pages = int(stream.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(soft - pages * os.sysconf("SC_PAGE_SIZE"), 0)


def available_memory():
    """Bytes a new allocation may take, or None if unknown.

    The least of ``MemAvailable`` (Linux; else the free physical pages), the
    room under the address-space limit (``ulimit -v``, ``RLIMIT_AS``) and
    the room in the process's cgroup v2 (``memory.max``).
    """
    candidates = []
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            pass
    candidates += [room for room in (_address_space_room(), _cgroup_room()) if room is not None]
    return min(candidates) if candidates else None


def require_memory(needed, what, *, available=None, error=ConfigError,
                   advice="use a smaller population or split it over machines (--dask)"):
    """Refuse work that needs more memory than the machine has available.

    Parameters
    ----------
    needed : int
        Estimated bytes.
    what : str
        What needs it, for the message (e.g. ``"a population of 10000000"``).
    available : int, optional
        Bytes available (default: :func:`available_memory`).
    error : callable
        Makes the exception from the message (default :class:`ConfigError`;
        readers pass one that names their file).
    advice : str
        What the user can do, appended to the message.

    Raises
    ------
    ConfigError (or what ``error`` makes)
        Saying how much is needed and how much there is.
    """
    available = available_memory() if available is None else available
    if available is not None and needed > available:
        raise error(
            f"{what} needs about {needed / 2**30:.3g} GiB of memory, but only {available / 2**30:.3g} GiB "
            f"is available; {advice}"
        )


def as_path(path, what="a file path", error=ConfigError):
    """``path`` as a :class:`pathlib.Path`, refusing in one line what is not a text path.

    Parameters
    ----------
    path : str or os.PathLike
        What a caller passed as a path.
    what : str
        What was expected, for the message (e.g. ``"read_idx's path"``).
    error : callable
        Makes the exception from a message; :class:`~neuroworm.errors.ConfigError` by default.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    NeuroWormError (what ``error`` makes)
        For bytes, a number (which ``os.stat`` would take for a file
        descriptor), ``None`` or any other object that is not a str or a
        path-like object naming a str.
    """
    if isinstance(path, (str, os.PathLike)):
        try:
            text = os.fspath(path)
        except TypeError:
            text = None
        if isinstance(text, str):
            return Path(text)
    shown = repr(path)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    raise error(f"expected {what} (a str or pathlib.Path), got {type(path).__name__}: {shown}")


def check_input_file(path, error):
    """Refuse, in one line and before any read, a path that is not a readable regular file.

    Parameters
    ----------
    path : str or path-like
    error : callable
        Makes the exception from a message (e.g. ``lambda m: ConnectomeFileError(path, m)``).

    Returns
    -------
    os.stat_result

    Raises
    ------
    NeuroWormError (what ``error`` makes)
        For a missing file, a folder, a FIFO, a device, a socket, or a path
        longer than the system allows.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error("no such file") from None
    except OSError as failure:
        if failure.errno == errno.ENAMETOOLONG:
            raise error(f"the path is too long ({len(os.fspath(path)):,} characters)") from None
        raise error(f"cannot be read: {failure.strerror or failure}") from None
    except ValueError as failure:  # an embedded NUL
        raise error(f"not a usable path ({failure})") from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise error(f"is {kind}, not a regular file; only regular files are read")
    return info


def is_gzip(path, error):
    """Whether the (checked) file starts with the gzip magic bytes."""
    try:
        with open(path, "rb") as stream:
            return stream.read(2) == _GZIP_MAGIC
    except OSError as failure:
        raise error(f"cannot be read: {failure.strerror or failure}") from None


def _too_large(limit, compressed):
    return (f"expands to more than {limit:,} bytes when decompressed ({compressed:,} bytes compressed); if the "
            f"file is genuine, pass a larger max_bytes or set {MAX_DECOMPRESSED_BYTES_VARIABLE}")


class _LimitedReader(io.RawIOBase):
    """A decompressed stream that raises once more than ``limit`` bytes have come out of it."""

    def __init__(self, stream, limit, compressed, error):
        super().__init__()
        self.stream, self.limit, self.compressed, self.error = stream, limit, compressed, error
        self.total = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            count = self.stream.readinto(buffer)
        except (OSError, EOFError, zlib.error) as failure:
            raise self.error(f"cannot decompress: corrupt or truncated gzip data ({failure})") from None
        self.total += count
        if self.total > self.limit:
            raise self.error(_too_large(self.limit, self.compressed))
        return count

    def close(self):
        self.stream.close()
        super().close()


def open_input(path, error, *, max_bytes=None, gzipped=None):
    """A binary stream of the file's contents, gunzipped (with the limit) if it is gzip.

    Parameters
    ----------
    path : str or path-like
        A file already passed by :func:`check_input_file`.
    error : callable
        Makes the exception from a message.
    max_bytes : int, optional
        See :func:`max_decompressed_bytes`.
    gzipped : bool, optional
        Whether to decompress (default: by the magic bytes).

    Returns
    -------
    io.BufferedIOBase
        Raising ``error(...)`` once more than the limit has been decompressed.
    """
    if gzipped is None:
        gzipped = is_gzip(path, error)
    if not gzipped:
        return open(path, "rb")
    limit = max_decompressed_bytes(max_bytes)
    return io.BufferedReader(_LimitedReader(gzip.open(path, "rb"), limit, os.path.getsize(path), error), _CHUNK)


def expanded_size(path, error, *, max_bytes=None, gzipped=None):
    """Size of the file's contents once decompressed, counted in a 1 MiB buffer and stopped at the limit.

    Parameters
    ----------
    path, error, max_bytes, gzipped
        As for :func:`open_input`.

    Returns
    -------
    int
        Bytes (the file's size for a file that is not compressed).

    Raises
    ------
    NeuroWormError (what ``error`` makes)
        As soon as the count passes the limit, or for corrupt gzip data.
    """
    if gzipped is None:
        gzipped = is_gzip(path, error)
    if not gzipped:
        return os.path.getsize(path)
    buffer = bytearray(_CHUNK)
    with open_input(path, error, max_bytes=max_bytes, gzipped=True) as stream:
        raw = stream.raw
        while raw.readinto(buffer):
            pass
        return raw.total


def read_input_bytes(path, error, *, max_bytes=None, gzipped=None, size=None):
    """The file's contents (gunzipped with the limit), read into one buffer of the counted size.

    Parameters
    ----------
    path, error, max_bytes, gzipped
        As for :func:`open_input`.
    size : int, optional
        The size from :func:`expanded_size` if the caller has counted it (and
        checked the memory it needs); counted here otherwise.

    Returns
    -------
    bytes
    """
    if gzipped is None:
        gzipped = is_gzip(path, error)
    if size is None:
        size = expanded_size(path, error, max_bytes=max_bytes, gzipped=gzipped)
    data = bytearray(size)
    view = memoryview(data)
    filled = 0
    with open_input(path, error, max_bytes=max_bytes, gzipped=gzipped) as stream:
        while filled < size and (count := stream.readinto(view[filled:])):
            filled += count
        if filled != size or stream.read(1):
            raise error("changed while it was read; read it again")
    view.release()
    return bytes(data) if size < _CHUNK else data


def check_npz_members(path, error, *, max_bytes, what="its arrays"):
    """Size an ``.npz`` archive's arrays from their headers and refuse them before any is allocated.

    Parameters
    ----------
    path : str or path-like
        The archive (a zip of ``.npy`` members).
    error : callable
        Makes the exception from a message.
    max_bytes : int
        Largest total of the arrays' sizes accepted.
    what : str
        What the arrays are, for the messages.

    Returns
    -------
    int
        The total bytes the arrays will take.

    Raises
    ------
    NeuroWormError (what ``error`` makes)
        For a member that is not an ``.npy`` array, holds Python objects,
        declares a malformed header, or makes the total exceed ``max_bytes``
        or the memory available.
    zipfile.BadZipFile
        For a file that is not a zip archive (callers say so in their words).
    """
    from numpy.lib import format as npy

    total = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                try:
                    version = npy.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = npy.read_array_header_1_0(member, max_header_size=10_000)
                    else:
                        shape, _, dtype = npy.read_array_header_2_0(member, max_header_size=10_000)
                except (ValueError, OSError, EOFError, zlib.error, SyntaxError) as failure:
                    raise error(f"member {info.filename!r} is not a NumPy array ({failure})") from None
            if dtype.hasobject:
                raise error(f"member {info.filename!r} holds Python objects, which only pickle could read; "
                            "it is not loaded")
            count = 1
            for extent in shape:
                count *= int(extent)
            total += count * dtype.itemsize
            if total > max_bytes:
                raise error(f"{what} would take {total / 2**30:.3g} GiB (member {info.filename!r} declares shape "
                            f"{tuple(shape)} of {dtype}), more than the {max_bytes / 2**30:.3g} GiB limit (max_bytes)")
    require_memory(total, what, error=error, advice="the file may be damaged, or load it on a larger machine")
    return total


def _depth(value):
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(text, error, *, what="the JSON"):
    """Parse JSON nested at most :data:`MAX_JSON_DEPTH` deep.

    Parameters
    ----------
    text : str or bytes
    error : callable
        Makes the exception from a message.
    what : str
        What the text is, for the message.

    Returns
    -------
    object

    Raises
    ------
    NeuroWormError (what ``error`` makes)
        For invalid JSON or nesting deeper than the limit.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise error(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels; it is not read") from None
    except (ValueError, UnicodeDecodeError, TypeError) as failure:
        raise error(f"{what} is not valid JSON ({failure})") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise error(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels; it is not read")
    return value
