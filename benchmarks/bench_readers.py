"""Reading a FlyWire-sized connection table: rows per second and peak memory against the file size.

Run: ``nice -n 10 python benchmarks/bench_readers.py [--rows 16000000] [--strict-rows 1000000]
[--edge-list-rows 12500000] [--folder DIR]``.

Generates a synthetic file shaped like a FlyWire Codex ``connections.csv``
(18-digit root ids of ~140,000 cells, 78 neuropil names, about four rows per
connected pair, synapse counts from 5 up, FlyWire's six ``nt_type`` codes and
some empty ones), then reads it in a fresh process per reader and prints,
side by side:

* the columnar reader (``read_flywire_codex_columnar``, pyarrow) on the full
  file, and
* both readers on a smaller file (``--strict-rows``; the strict reader
  keeps every field as a Python string and would need tens of GB for 16 M rows),
* the columnar edge-list reader on a plain ``pre,post,weight`` file of
  ``--edge-list-rows`` rows (12.5 M, the 200 MB file of issue #14; 300,000
  cells, so nearly every pair is distinct), and both edge-list readers on
  one of ``--strict-rows`` rows,

with rows/s (wall clock, and per CPU-second: on a shared machine the second
says more about an idle one), the peak resident memory of the reading process (``VmHWM``),
the memory added by the read (peak minus the process after imports), and both
as multiples of the uncompressed file.  Targets (issue #14): at least 1 M
rows/s and a peak at most 3x the file.  Benchmarks print; they never fail.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_NEUROPILS = [f"{name}_{side}" for name in (
    "AL", "AME", "AOTU", "ATL", "AVLP", "BU", "CAN", "CRE", "EB", "EPA", "FB", "FLA", "GA", "GNG", "GOR", "IB", "ICL",
    "IPS", "LAL", "LH", "LO", "LOP", "ME", "MB_CA", "MB_ML", "MB_PED", "MB_VL", "NO", "PB", "PLP", "PRW", "PVLP",
    "SAD", "SCL", "SIP", "SLP", "SMP", "SPS", "VES") for side in ("L", "R")][:78]
_NT = np.array(["ACH", "GABA", "GLUT", "SER", "DA", "OCT", ""])
_NT_WEIGHTS = np.array([0.55, 0.2, 0.15, 0.02, 0.03, 0.02, 0.03])


def generate(path, rows, *, cells=140_000, seed=0):
    """Write a synthetic FlyWire-shaped connections.csv of ``rows`` rows (chunked, bounded memory)."""
    import pyarrow as pa
    from pyarrow import csv

    rng = np.random.default_rng(seed)
    ids = np.unique(720575940_000_000_000 + rng.integers(0, 10**9, size=int(cells * 1.01)))[:cells]
    pairs = max(1, rows // 4)
    pair_pre = ids[rng.integers(0, len(ids), size=pairs)]
    pair_post = ids[rng.integers(0, len(ids), size=pairs)]
    pair_nt = rng.choice(len(_NT), size=pairs, p=_NT_WEIGHTS)
    neuropils = np.array(_NEUROPILS)
    chunk = 2_000_000
    with open(path, "wb") as stream:
        stream.write(b"pre_root_id,post_root_id,neuropil,syn_count,nt_type\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            pair = rng.integers(0, pairs, size=n)
            table = pa.table({
                "pre_root_id": pair_pre[pair], "post_root_id": pair_post[pair],
                "neuropil": neuropils[rng.integers(0, len(neuropils), size=n)],
                "syn_count": 5 + rng.geometric(0.15, size=n), "nt_type": _NT[pair_nt[pair]],
            })
            csv.write_csv(table, stream, write_options=csv.WriteOptions(include_header=False, quoting_style="none"))
    return path


def generate_edge_list(path, rows, *, cells=300_000, seed=2):
    """Write a plain ``pre,post,weight`` edge list of ``rows`` rows with cell names like ``n123456``."""
    import pyarrow as pa
    from pyarrow import csv

    rng = np.random.default_rng(seed)
    names = np.array([f"n{number}" for number in range(cells)])
    with open(path, "wb") as stream:
        stream.write(b"pre,post,weight\n")
        for start in range(0, rows, 2_000_000):
            n = min(2_000_000, rows - start)
            table = pa.table({"pre": names[rng.integers(0, cells, size=n)], "post": names[rng.integers(0, cells, size=n)],
                              "weight": rng.integers(1, 20, size=n)})
            csv.write_csv(table, stream, write_options=csv.WriteOptions(include_header=False, quoting_style="none"))
    return path


_CHILD = """
import json, sys, time

def high_water_mark():  # VmHWM belongs to the process image: exec resets it (ru_maxrss would keep the parent's)
    with open("/proc/self/status") as stream:
        return next(int(line.split()[1]) * 1024 for line in stream if line.startswith("VmHWM:"))

from neuroworm.connectome.columnar import read_flywire_codex_columnar
from neuroworm.connectome.columnar import read_edge_list_columnar
from neuroworm.connectome.strict import read_edge_list_strict, read_flywire_codex_strict
import pyarrow.csv, pandas
baseline = high_water_mark()
reader = {"columnar": read_flywire_codex_columnar, "strict": read_flywire_codex_strict,
          "edge-list": read_edge_list_columnar, "edge-list-strict": read_edge_list_strict}[sys.argv[1]]
start, cpu = time.perf_counter(), time.process_time()
connectome = reader(sys.argv[2])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = high_water_mark()
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "baseline": baseline, "cells": len(connectome.neurons),
                  "edges": len(connectome.chemical)}))
"""


def measure(reader, path, rows):
    """Read ``path`` with ``reader`` in a fresh process; return its measurements."""
    finished = subprocess.run([sys.executable, "-c", _CHILD, reader, str(path)], capture_output=True, text=True,
                              check=False)
    if finished.returncode:
        return {"error": finished.stderr.strip().splitlines()[-1] if finished.stderr else str(finished.returncode)}
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    size = path.stat().st_size
    result.update(rows=rows, size=size, rows_per_s=rows / result["seconds"], peak_ratio=result["peak"] / size,
                  added_ratio=(result["peak"] - result["baseline"]) / size)
    return result


def report(name, result):
    if "error" in result:
        print(f"{name:<26} failed: {result['error']}")
        return
    print(f"{name:<26} {result['rows']:>11,} {result['size'] / 2**20:>9.0f} {result['seconds']:>8.1f} "
          f"{result['rows_per_s'] / 1e6:>8.2f} {result['cpu']:>7.1f} {result['rows'] / result['cpu'] / 1e6:>9.2f} "
          f"{result['peak'] / 2**20:>9.0f} {result['peak_ratio']:>7.2f} "
          f"{result['added_ratio']:>7.2f} {result['edges']:>10,}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16_000_000)
    parser.add_argument("--strict-rows", type=int, default=1_000_000)
    parser.add_argument("--edge-list-rows", type=int, default=12_500_000,
                        help="rows of a plain pre,post,weight edge list (0 skips it)")
    parser.add_argument("--folder", default=None,
                        help="keep the synthetic files here and reuse them on later runs (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(args.folder or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        big, small = folder / f"connections_{args.rows}.csv", folder / f"connections_{args.strict_rows}_seed1.csv"
        if not big.exists():
            generate(big, args.rows)
        if not small.exists():
            generate(small, args.strict_rows, seed=1)
        print(f"files of {args.rows:,} and {args.strict_rows:,} rows ready in {time.perf_counter() - start:.0f} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'reader':<26} {'rows':>11} {'file MiB':>9} {'s':>8} {'M rows/s':>8} {'CPU s':>7} {'M rows/CPUs':>9} "
              f"{'peak MiB':>9} "
              f"{'peak/f':>7} {'added/f':>7} {'edges':>10}")
        report("strict, small file", measure("strict", small, args.strict_rows))
        report("columnar, small file", measure("columnar", small, args.strict_rows))
        report("columnar, full file", measure("columnar", big, args.rows))
        if args.edge_list_rows:
            edges, small_edges = folder / f"edges_{args.edge_list_rows}.csv", folder / f"edges_{args.strict_rows}.csv"
            if not edges.exists():
                generate_edge_list(edges, args.edge_list_rows)
            if not small_edges.exists():
                generate_edge_list(small_edges, args.strict_rows, seed=3)
            report("strict, small edge list", measure("edge-list-strict", small_edges, args.strict_rows))
            report("columnar, small edge list", measure("edge-list", small_edges, args.strict_rows))
            report("columnar, full edge list", measure("edge-list", edges, args.edge_list_rows))


if __name__ == "__main__":
    main()
