"""Tampered files (issue 24): deep JSON, a pending generation without its seeds, special files and odd names
are refused with one clear line before anything is read or run."""

import json
import os

import networkx as nx
import numpy as np
import pytest

from neuroworm.cli import main
from neuroworm.errors import CheckpointError, ConfigError, ConnectomeError, NeuroWormError
from neuroworm.evolve import EliteGA, read_checkpoint, run, write_checkpoint
from neuroworm.evolve.objectives import Noisy, sphere
from neuroworm.resources import bundled_path

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_checkpoint_with_deeply_nested_fields_is_refused(tmp_path):
    path = tmp_path / "checkpoint.npz"
    text = '{"format": "neuroworm-checkpoint/2", "x": ' + DEEP + "}"
    np.savez(path, __fields__=np.frombuffer(text.encode(), np.uint8))
    with pytest.raises(CheckpointError, match="its fields is nested deeper than 64 levels"):
        read_checkpoint(path)


def test_a_worm_file_with_deeply_nested_settings_is_refused(tmp_path):
    from neuroworm.worm_file import read_worm_file

    source = np.load(bundled_path("models", "alif_swimmer_v5.npz"), allow_pickle=False)
    contents = {key: source[key] for key in source.files}
    contents["settings"] = np.array(DEEP)
    path = tmp_path / "worm.npz"
    np.savez(path, **contents)
    with pytest.raises(ConfigError, match="its settings is nested deeper than 64 levels"):
        read_worm_file(path)


def test_a_run_folder_with_deeply_nested_settings_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "settings.json").write_text(DEEP)
    assert main(["pretrain", "--out", str(out), "--resume", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "cannot be read as a run's settings" in error and "nested deeper" in error and error.count("\n") == 1


def test_a_pending_generation_without_its_seeds_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"

    def small_ga():
        return EliteGA(np.ones(4), population_size=8, n_elites=2, mutation_rate=0.1)

    calls = []

    def interrupted_at_the_third_call(genomes, seeds):
        calls.append(len(genomes))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return Noisy(sphere, 0.1)(genomes, seeds)

    with pytest.raises(KeyboardInterrupt):
        run(small_ga(), interrupted_at_the_third_call, generations=5, seed=1, checkpoint=path, progress=False)
    state = read_checkpoint(path)
    assert state.fields["pending"] and state.fields["has_pending_seeds"]
    arrays = {name: array for name, array in state.arrays.items() if name != "pending_seeds"}
    write_checkpoint(path, {**state.fields, "has_pending_seeds": False}, arrays)
    with pytest.raises(CheckpointError, match="'has_pending_seeds' must be true for a pending generation"):
        run(small_ga(), Noisy(sphere, 0.1), generations=5, seed=1, checkpoint=path, resume=True, progress=False)


def test_evaluate_refuses_a_fifo_and_a_genome_file_declaring_a_huge_array(tmp_path, capsys):
    fifo = tmp_path / "genome.npz"
    os.mkfifo(fifo)
    assert main(["evaluate", str(fifo)]) == 2
    assert "is a FIFO (named pipe), not a regular file" in capsys.readouterr().err
    import io
    import zipfile

    from numpy.lib import format as npy

    header = io.BytesIO()
    npy.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    path = tmp_path / "best_genome.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("genome.npy", header.getvalue() + b"\0" * 8)
        archive.writestr("settings.npy", b"")
    assert main(["evaluate", str(path)]) == 2
    error = capsys.readouterr().err
    assert "member 'genome.npy' declares shape (1099511627776,)" in error and error.count("\n") == 1


@pytest.mark.parametrize("node", ["AV\x07A", "   ", "x\x85y"])
def test_from_networkx_applies_the_file_readers_name_rules(node):
    from neuroworm.connectome import from_networkx

    graph = nx.DiGraph()
    graph.add_edge(node, "VB1", weight=2)
    with pytest.raises(ConnectomeError, match="not a usable cell name"):
        from_networkx(graph)


def test_from_networkx_strips_names_as_the_file_readers_do():
    from neuroworm.connectome import from_networkx

    graph = nx.DiGraph()
    graph.add_edge(" AVAL ", "VB1", weight=2)
    assert list(from_networkx(graph).neurons.index) == ["AVAL", "VB1"]


def test_settings_json_is_written_as_json_and_read_back(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "settings.json").write_text(json.dumps({"a": 1}))
    from neuroworm.pipelines.run_folder import RunFolder

    assert RunFolder(out).saved_settings() == {"a": 1}


def _readers():
    from neuroworm.analysis.swim import load_genome_file
    from neuroworm.connectome.columnar import read_edge_list_columnar, read_flywire_codex_columnar
    from neuroworm.connectome.readers import read_edge_list, read_flywire_codex
    from neuroworm.connectome.strict import read_neuprint, read_neuron_table
    from neuroworm.pipelines.evolve import load_best_genome
    from neuroworm.pipelines.pretraining import load_worm
    from neuroworm.tasks.cifar10 import load_cifar10, read_batch
    from neuroworm.tasks.mnist import load_mnist, read_idx
    from neuroworm.worm_file import read_worm_file

    return [read_idx, load_mnist, read_batch, load_cifar10, read_checkpoint, load_worm, read_worm_file,
            read_edge_list, read_flywire_codex, read_neuron_table, lambda path: read_neuprint(path, path),
            read_flywire_codex_columnar, read_edge_list_columnar, load_genome_file, load_best_genome]


@pytest.mark.parametrize("bad", [3, b"connectome.csv", 1.5, ["a.csv"], object()],
                         ids=["int (a file descriptor to os.stat)", "bytes", "float", "list", "object"])
def test_every_reader_refuses_a_path_that_is_not_text_in_one_line(bad):
    for reader in _readers():
        with pytest.raises(NeuroWormError, match="expected .*a str or pathlib.Path.*got"):
            reader(bad)
