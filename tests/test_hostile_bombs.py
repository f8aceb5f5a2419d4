"""Decompression bombs on every path a compressed input takes, read under an address-space limit.

Each case runs in a child process that imports what it needs, then caps its
own address space (``RLIMIT_AS``) at what it already uses plus
:data:`HEADROOM`, and reads a file that would expand to :data:`BOMB_BYTES`
with the decompression limit set to :data:`LIMIT` by the environment
variable ``NEUROWORM_MAX_DECOMPRESSED_BYTES``. The limit is above the
headroom on purpose: a reader that holds (or parses) what it decompresses
before refusing runs out of memory (``MemoryError`` or an abort), one that
counts in a fixed buffer refuses with a one-line error. The bombs are built
from repeated gzip members, so making them costs milliseconds.
"""

import gzip
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy

from neuroworm.errors import ConfigError, ConnectomeFileError
from neuroworm.limits import (
    MAX_DECOMPRESSED_BYTES_VARIABLE,
    available_memory,
    check_input_file,
    expanded_size,
    load_json,
    max_decompressed_bytes,
    read_input_bytes,
    require_memory,
)

MiB = 2**20
HEADROOM = 96 * MiB
LIMIT = 128 * MiB
BOMB_BYTES = 512 * MiB

PRELUDE = """
import os, resource, sys
import numpy, pandas, pyarrow, pyarrow.csv, gzip, zipfile
import neuroworm
from neuroworm.errors import NeuroWormError
from neuroworm.connectome import readers, columnar
from neuroworm.tasks import mnist, cifar10
from neuroworm.evolve import checkpoint
from neuroworm import worm_file
used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (used + {headroom}, resource.RLIM_INFINITY))
try:
{call}
except NeuroWormError as error:
    print("REFUSED", type(error).__name__, error)
    sys.exit(0)
except MemoryError:
    print("MEMORYERROR")
    sys.exit(3)
print("ACCEPTED")
sys.exit(4)
"""


def _run_limited(call, *, headroom=HEADROOM):
    script = PRELUDE.format(headroom=headroom, call=textwrap.indent(call, "    "))
    env = dict(os.environ, MALLOC_ARENA_MAX="2", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               **{MAX_DECOMPRESSED_BYTES_VARIABLE: str(LIMIT)})
    result = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=180,
                            env=env)
    return result.returncode, result.stdout + result.stderr[-2000:]


def _bomb(path, head=b"", line=b"a,b,1\n", total=BOMB_BYTES):
    """A multi-member gzip file: ``head`` then ``line`` repeated up to ``total`` bytes, in milliseconds."""
    block = line * (16 * MiB // len(line))
    member = gzip.compress(block, compresslevel=9)
    with open(path, "wb") as stream:
        stream.write(gzip.compress(head))
        stream.writelines(member for _ in range(total // len(block)))
    return path


def _assert_refused(returncode, output, words):
    assert returncode == 0, output
    assert "REFUSED" in output and words in output, output


@pytest.mark.parametrize("reader", ["readers.read_edge_list", "columnar.read_edge_list_columnar"])
def test_an_edge_list_bomb_is_refused_within_the_memory_bound(tmp_path, reader):
    path = _bomb(tmp_path / "bomb.csv.gz", head=b"pre,post,weight\n")
    assert path.stat().st_size < 2 * MiB
    _assert_refused(*_run_limited(f"{reader}({str(path)!r})"), "expands to more than 134,217,728 bytes")


def test_a_flywire_and_a_neuprint_bomb_are_refused_within_the_memory_bound(tmp_path):
    flywire = _bomb(tmp_path / "connections.csv.gz", head=b"pre_root_id,post_root_id,neuropil,syn_count,nt_type\n",
                    line=b"720575940000000001,720575940000000002,AL_L,5,ACH\n")
    for reader in ("readers.read_flywire_codex", "columnar.read_flywire_codex_columnar"):
        _assert_refused(*_run_limited(f"{reader}({str(flywire)!r})"), "expands to more than")
    neurons = tmp_path / "neurons.csv"
    neurons.write_text("bodyId,instance\n1,a\n2,b\n")
    connections = _bomb(tmp_path / "edges.csv.gz", head=b"bodyId_pre,bodyId_post,weight\n", line=b"1,2,3\n")
    _assert_refused(*_run_limited(f"readers.read_neuprint({str(neurons)!r}, {str(connections)!r})"),
                    "expands to more than")


def test_an_idx_bomb_is_refused_from_its_header(tmp_path):
    images = BOMB_BYTES // 784
    head = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (images, 28, 28))
    path = _bomb(tmp_path / "train-images-idx3-ubyte.gz", head=head, line=b"\x00" * 4096)
    _assert_refused(*_run_limited(f"mnist.read_idx({str(path)!r})"), "more than the 134,217,728-byte limit")


def test_an_idx_stream_longer_than_its_header_stops_at_the_header(tmp_path):
    head = b"\x00\x00\x08\x01" + (16).to_bytes(4, "big")
    path = _bomb(tmp_path / "labels.gz", head=head, line=b"\x01" * 4096)
    _assert_refused(*_run_limited(f"mnist.read_idx({str(path)!r})"), "unexpected bytes after the 16 bytes")


def test_an_idx_header_overflowing_int64_names_the_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + b"\xff\xff\xff\xff" * 3)
    from neuroworm.errors import DatasetFileError
    from neuroworm.tasks.mnist import read_idx, read_idx_bytes

    with pytest.raises(DatasetFileError, match="t10k-images-idx3-ubyte.*more than"):
        read_idx(path)
    with pytest.raises(DatasetFileError, match="t10k-images-idx3-ubyte.*truncated data"):
        read_idx_bytes(path.read_bytes(), name=str(path))


def test_a_gzipped_cifar_batch_is_read_and_a_cifar_bomb_refused(tmp_path):
    import pickle

    from neuroworm.tasks.cifar10 import read_batch

    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 4]}
    good = tmp_path / "data_batch_1"
    good.write_bytes(gzip.compress(pickle.dumps(batch, protocol=2)))
    images, labels = read_batch(good)
    assert images.shape == (2, 3072) and labels.tolist() == [3, 4]
    bomb = _bomb(tmp_path / "data_batch_2", head=b"\x80\x02", line=b"N" * 4096)
    _assert_refused(*_run_limited(f"cifar10.read_batch({str(bomb)!r})"), "expands to more than")


def _npz_declaring(path, shape, extra=None):
    """An .npz whose member 'big' declares ``shape`` (float64) but holds 8 bytes, plus ``extra`` arrays."""
    header = io.BytesIO()
    npy.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.npy", header.getvalue() + b"\x00" * 8)
        for name, array in (extra or {}).items():
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(name + ".npy", member.getvalue())
    return path


def test_a_checkpoint_declaring_a_huge_array_is_refused_before_allocation(tmp_path):
    fields = json.dumps({"format": "neuroworm-checkpoint/2"}).encode()
    path = _npz_declaring(tmp_path / "checkpoint.npz", (2**31,), {"__fields__": np.frombuffer(fields, np.uint8)})
    returncode, output = _run_limited(f"checkpoint.read_checkpoint({str(path)!r}, max_bytes=2**40)")
    _assert_refused(returncode, output, "GiB of memory")
    assert "CheckpointError" in output and "16 GiB" in output
    from neuroworm.errors import CheckpointError
    from neuroworm.evolve.checkpoint import read_checkpoint

    with pytest.raises(CheckpointError, match=r"member 'big.npy' declares shape \(2147483648,\)"):
        read_checkpoint(path, max_bytes=2**30)


def test_a_worm_file_declaring_a_huge_array_is_refused_before_allocation(tmp_path):
    path = _npz_declaring(tmp_path / "worm.npz", (2**31,), {"genome": np.zeros(3)})
    _assert_refused(*_run_limited(f"worm_file.read_worm_file({str(path)!r})"), "more than the 0.125 GiB limit")


# --- the helpers themselves ---------------------------------------------------------------------


def test_the_limit_comes_from_the_parameter_then_the_environment(monkeypatch):
    monkeypatch.delenv(MAX_DECOMPRESSED_BYTES_VARIABLE, raising=False)
    assert max_decompressed_bytes() == 4 * 2**30
    assert max_decompressed_bytes(10) == 10
    monkeypatch.setenv(MAX_DECOMPRESSED_BYTES_VARIABLE, "1000")
    assert max_decompressed_bytes() == 1000
    monkeypatch.setenv(MAX_DECOMPRESSED_BYTES_VARIABLE, "lots")
    with pytest.raises(ConfigError, match=MAX_DECOMPRESSED_BYTES_VARIABLE):
        max_decompressed_bytes()
    with pytest.raises(ConfigError, match="max_bytes"):
        max_decompressed_bytes(0.5)


def test_expanded_size_counts_and_stops_at_the_limit(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"x" * 5000) * 3)

    def error(message):
        return ConnectomeFileError(path, message)

    assert expanded_size(path, error, max_bytes=15000) == 15000
    assert read_input_bytes(path, error, max_bytes=15000) == b"x" * 15000
    with pytest.raises(ConnectomeFileError, match="expands to more than 14,999 bytes"):
        expanded_size(path, error, max_bytes=14999)
    path.write_bytes(gzip.compress(b"x" * 5000)[:-6])
    with pytest.raises(ConnectomeFileError, match="corrupt or truncated"):
        expanded_size(path, error)


def test_available_memory_honours_the_address_space_limit():
    code = ("import resource; from neuroworm.limits import available_memory\n"
            "used = int(open('/proc/self/statm').read().split()[0]) * 4096\n"
            "resource.setrlimit(resource.RLIMIT_AS, (used + 2**28, resource.RLIM_INFINITY))\n"
            "print(available_memory())")
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert 0 < int(result.stdout) <= 2**28, result.stdout + result.stderr
    assert available_memory() > 0


def test_require_memory_names_gib_needed_and_available():
    with pytest.raises(ConfigError, match=r"needs about 2 GiB of memory, but only 1 GiB is available"):
        require_memory(2 * 2**30, "a thing", available=2**30)
    require_memory(2**30, "a thing", available=2**31)


@pytest.mark.parametrize("special", ["fifo", "device", "long", "folder"])
def test_non_regular_files_and_overlong_paths_get_one_line_before_any_read(tmp_path, special):
    if special == "fifo":
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
        words = "FIFO"
    elif special == "device":
        path, words = "/dev/zero", "device"
    elif special == "long":
        path, words = tmp_path / ("x" * 5000), "too long"
    else:
        path, words = tmp_path, "folder"

    def error(message):
        return ConnectomeFileError(path, message)

    with pytest.raises(ConnectomeFileError, match=words):
        check_input_file(path, error)
    from neuroworm.connectome import read_edge_list
    from neuroworm.evolve.checkpoint import read_checkpoint
    from neuroworm.tasks.mnist import read_idx

    for reader in (read_edge_list, read_idx, read_checkpoint):
        with pytest.raises(Exception, match=words) as caught:
            reader(path)
        assert "\n" not in str(caught.value)


def test_json_nested_too_deep_is_refused():
    with pytest.raises(ConfigError, match="nested deeper than 64"):
        load_json("[" * 100_000 + "]" * 100_000, ConfigError)
    with pytest.raises(ConfigError, match="nested deeper than 64"):
        load_json("[" * 70 + "]" * 70, ConfigError)
    assert load_json('{"a": [1, 2]}', ConfigError) == {"a": [1, 2]}
