"""Worm files: round trip, and malformed files named in the error."""

import json

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.genome import GenomeLayout
from neuroworm.worm_file import read_worm_file, write_worm_file

SETTINGS = {"connectome": "cook2019_hermaphrodite", "circuit": "locomotion", "model": "alif", "task": "Swimmer-v5"}


@pytest.fixture(scope="module")
def layout():
    from neuroworm import load_connectome, locomotion_circuit

    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    return GenomeLayout(circuit, "alif", 8, 2, per_neuron=("v_threshold",))


def test_round_trip_keeps_genome_settings_layout_and_arrays(tmp_path, layout):
    genome = layout.random(1, seed=1)[0]
    path = write_worm_file(tmp_path / "w.npz", genome, {**SETTINGS, "extra": 3}, layout, test_returns=np.ones(4))
    worm = read_worm_file(path)
    np.testing.assert_array_equal(worm.genome, genome)
    assert worm.settings["extra"] == 3 and worm.layout.per_neuron == ("v_threshold",)
    assert worm.layout.slices == layout.slices
    np.testing.assert_array_equal(worm.arrays["test_returns"], np.ones(4))


def test_malformed_files_are_named(tmp_path, layout):
    with pytest.raises(ConfigError, match="lack"):
        write_worm_file(tmp_path / "x.npz", layout.random(1, seed=0)[0], {"model": "alif"}, layout)
    np.savez(tmp_path / "no_layout.npz", genome=np.zeros(3), settings=json.dumps(SETTINGS))
    with pytest.raises(ConfigError, match="no_layout.npz.*layout"):
        read_worm_file(tmp_path / "no_layout.npz")
    description = json.dumps({"per_neuron": [], "slices": {"encoder": [0, 5]}})
    np.savez(tmp_path / "wrong.npz", genome=np.zeros(5), settings=json.dumps(SETTINGS), layout=description)
    with pytest.raises(ConfigError, match="wrong.npz.*does not match"):
        read_worm_file(tmp_path / "wrong.npz")
    bad_circuit = json.dumps({**SETTINGS, "circuit": "head"})
    np.savez(tmp_path / "head.npz", genome=np.zeros(5), settings=bad_circuit, layout=description)
    with pytest.raises(ConfigError, match="unknown circuit"):
        read_worm_file(tmp_path / "head.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ConfigError, match="text.npz"):
        read_worm_file(tmp_path / "text.npz")
