"""Build neuroworm's bundled connectome CSV files from published data files.

The published data files are read straight out of three MIT-licensed wheels on
PyPI (nothing of those packages' code is imported):

- ``cect==0.3.5`` (C. elegans: Cook et al. 2019, Varshney et al. 2011,
  White et al. 1986, Witvliet et al. 2021, Haspel & O'Donovan 2011,
  Wang et al. 2024 neurotransmitter atlas, WormAtlas neuron names);
- ``graspologic==3.4.4`` (Drosophila larval mushroom body, Eichler et al. 2017);
- ``flyvis==1.2.0`` (Drosophila optic lobe columnar model, Lappalainen et al. 2024).

Usage::

    python connectome_data/build.py [--wheels DIR] [--out DIR] [--check]

Without ``--wheels`` the wheels are fetched with ``pip download --no-deps``
into a temporary folder. Their SHA-256 digests are checked against the pinned
values below. ``--check`` rebuilds into a temporary folder and compares every
file byte for byte with the committed ones (exit status 1 on any difference).

Reading ``.xlsx`` needs ``openpyxl`` and reading ``.xls`` needs ``xlrd``
(development dependencies only). See ``SOURCES.md`` for the provenance of
every file and the rules applied.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

WHEELS = {
    "cect": ("cect==0.3.5", "cect-0.3.5-py3-none-any.whl",
             "ea47f7a6b0d69a8d0bd3b0ade4037b7cc32d31ad0449f823d7ec153d6fd25057"),
    "graspologic": ("graspologic==3.4.4", "graspologic-3.4.4-py3-none-any.whl",
                    "4ea5cd50f10eaff3fa90f18a8f66b1f5f42c724ac6aeb95e9f081632fc8d2d00"),
    "flyvis": ("flyvis==1.2.0", "flyvis-1.2.0-py3-none-any.whl",
               "af365b16e870111fcb06782a063f6551b05cce9a105c6eaab9c0bda3b017031f"),
}

CELL_CLASSES = ("sensory", "inter", "motor", "muscle", "other")
NEURON_COLUMNS = ["name", "cell_class", "cell_type", "neurotransmitter", "sign"]

# Sign rule (see SOURCES.md): only the two fast transmitters whose action is
# taken as settled get a sign; glutamate (excitatory GLR or inhibitory GluCl
# receptors in C. elegans), the monoamines and unknown identities get 0.
TRANSMITTER_SIGN = {"ACh": 1, "GABA": -1}

CECT_DATA = "cect/data/"
COOK_FILE = CECT_DATA + "SI 5 Connectome adjacency matrices, corrected July 2020.xlsx"
COOK_ORIGINAL_FILE = CECT_DATA + "41586_2019_1352_MOESM9_ESM.xlsx"
WANG_FILE = CECT_DATA + "elife-95402-supp2-v1.xlsx"
WORMATLAS_NAMES_FILE = CECT_DATA + "IndividualNeurons.csv"
VARSHNEY_FILE = CECT_DATA + "NeuronConnect.xls"
WHITE_FILE = CECT_DATA + "aconnectome_white_1986_whole.csv"
HASPEL_FILE = CECT_DATA + "CeConnMtrcs_170626.mat"
WITVLIET_FILES = {
    1: "witvliet_2020_1 L1.xlsx", 2: "witvliet_2020_2 L1.xlsx",
    3: "witvliet_2020_3 L1.xlsx", 4: "witvliet_2020_4 L1.xlsx",
    5: "witvliet_2020_5 L2.xlsx", 6: "witvliet_2020_6 L3.xlsx",
    7: "witvliet_2020_7 adult.xlsx", 8: "witvliet_2020_8 adult.xlsx",
}
# Developmental stage and age (hours after birth) of Witvliet et al. 2021's datasets.
WITVLIET_STAGES = {1: ("L1", 0), 2: ("L1", 5), 3: ("L1", 8), 4: ("L1", 16),
                   5: ("L2", 23), 6: ("L3", 27), 7: ("adult", 50), 8: ("adult", 50)}
EICHLER_DIR = "graspologic/datasets/drosophila/"
FLYVIS_FILE = "flyvis/connectome/fib25-fib19_v2.2.json"

CECT_LICENCE = (
    "Data from the supplementary material of the cited paper, redistributed in the "
    "MIT-licensed cect 0.3.5 wheel (OpenWorm); cite the original paper."
)


class BuildError(Exception):
    """A source file does not look the way this script expects."""


# ----------------------------------------------------------------------------
# Reading the wheels


class Wheels:
    """Read-only access to the members of the three pinned wheels."""

    def __init__(self, folder: Path):
        self.archives = {}
        for key, (_, filename, sha256) in WHEELS.items():
            path = folder / filename
            if not path.is_file():
                raise BuildError(f"{path}: wheel not found")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != sha256:
                raise BuildError(f"{path}: sha256 {digest}, expected {sha256}")
            self.archives[key] = zipfile.ZipFile(path)

    def read(self, wheel: str, member: str) -> bytes:
        try:
            return self.archives[wheel].read(member)
        except KeyError:
            raise BuildError(f"{WHEELS[wheel][1]}: member {member!r} missing") from None

    def xlsx_rows(self, member: str, sheet: str | None = None) -> list[tuple]:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(self.read("cect", member)),
                                      read_only=True, data_only=True)
        worksheet = book[sheet] if sheet else book.worksheets[0]
        rows = [tuple(row) for row in worksheet.iter_rows(values_only=True)]
        book.close()
        return rows


def download_wheels(folder: Path) -> None:
    specs = [spec for spec, _, _ in WHEELS.values()]
    command = [sys.executable, "-m", "pip", "download", "--no-deps",
               "--only-binary", ":all:", *specs, "-d", str(folder)]
    print("running:", " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True, stdout=sys.stderr)


# ----------------------------------------------------------------------------
# Names


def standard_neuron_name(name: str) -> str:
    """WormBase spelling of a neuron name: ``DA01`` -> ``DA1``."""
    name = name.strip()
    return re.sub(r"^([A-Z]{2,3})0(\d)$", r"\1\2", name)


def witvliet_cell_name(name: str) -> str:
    """Witvliet's ``BWM-DL01`` body-wall muscle names in Cook's spelling (``dBWML1``)."""
    match = re.fullmatch(r"BWM-([DV])([LR])0?(\d+)", name)
    if match:
        quadrant, side, number = match.groups()
        return f"{quadrant.lower()}BWM{side}{int(number)}"
    if name == "excgl":
        return "exc_gl"
    return standard_neuron_name(name)


def non_neuronal_cell(name: str) -> tuple[str, str]:
    """``(cell_class, cell_type)`` of a muscle, gland, glia or other end organ."""
    rules = [
        (r"[dv]BWM[LR]\d+", "muscle", "BWM"),
        (r"LegacyBodyWallMuscles", "muscle", "BWM"),
        (r"M[DV]lr\d+", "muscle", "BWM"),
        (r"(pm\d)[A-Z]*", "muscle", None),
        (r"(vm\d)[A-Z]*", "muscle", None),
        (r"(um\d)[A-Z]*", "muscle", None),
        (r"(mu_int)[LR]", "muscle", None),
        (r"mu_anal|mu_sph", "muscle", "{0}"),
        (r"(mc\d)[A-Z]*", "other", None),
        (r"(e\d)[A-Z]*", "other", None),
        (r"(g\d)[A-Za-z]*", "other", None),
        (r"CEPsh[DV][LR]", "other", "CEPsh"),
        (r"GLR[DV]?[LR]", "other", "GLR"),
        (r"bm|exc_cell|exc_gl|hmc|hyp|int", "other", "{0}"),
    ]
    for pattern, cell_class, cell_type in rules:
        match = re.fullmatch(pattern, name)
        if match:
            if cell_type is None:
                cell_type = match.group(1)
            return cell_class, cell_type.format(name)
    raise BuildError(f"cell {name!r} is neither one of the 302 neurons nor a known end organ")


# ----------------------------------------------------------------------------
# Writing


def format_number(value) -> str:
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def plain_number(value) -> int | float:
    """An integer where the value is whole, else the value rounded to 6 decimals."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([format_number(x) if isinstance(x, (float, np.floating)) else x
                             for x in row])


def write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class Dataset:
    """Nodes and edges of one dataset, collected before writing.

    ``chemical`` maps ``(pre, post)`` to summed weight (and ``chemical_sign`` to
    the per-edge sign where the source gives one); ``electrical`` maps the pair
    ``(a, b)`` with ``a < b`` to its weight.
    """

    def __init__(self, dataset_id: str):
        self.dataset_id = dataset_id
        self.nodes: dict[str, dict] = {}
        self.chemical: dict[tuple[str, str], float] = defaultdict(float)
        self.chemical_sign: dict[tuple[str, str], int] = {}
        self.electrical: dict[tuple[str, str], float] = defaultdict(float)
        self.electrical_self_loops: dict[str, float] = {}

    def add_chemical(self, pre: str, post: str, weight: float, sign: int | None = None):
        if weight <= 0:
            raise BuildError(f"{self.dataset_id}: chemical {pre}->{post} weight {weight}")
        self.chemical[(pre, post)] += weight
        if sign is not None:
            previous = self.chemical_sign.setdefault((pre, post), sign)
            if previous != sign:
                raise BuildError(f"{self.dataset_id}: {pre}->{post} has both signs")

    def add_electrical(self, a: str, b: str, weight: float):
        if weight <= 0:
            raise BuildError(f"{self.dataset_id}: electrical {a}-{b} weight {weight}")
        if a == b:
            self.electrical_self_loops[a] = self.electrical_self_loops.get(a, 0) + weight
            return
        self.electrical[(min(a, b), max(a, b))] += weight

    def edge_names(self) -> set[str]:
        names = set()
        for pair in list(self.chemical) + list(self.electrical):
            names.update(pair)
        names.update(self.electrical_self_loops)
        return names

    def counts(self) -> dict:
        return {
            "neurons": len(self.nodes),
            "neurons_sensory_inter_motor": sum(
                1 for node in self.nodes.values()
                if node["cell_class"] in ("sensory", "inter", "motor")),
            "chemical_edges": len(self.chemical),
            "chemical_weight_sum": plain_number(sum(self.chemical.values())),
            "electrical_edges": len(self.electrical),
            "electrical_weight_sum": plain_number(sum(self.electrical.values())),
        }

    def write(self, out: Path, metadata: dict, extra_columns: list[str] = ()) -> dict:
        missing = self.edge_names() - set(self.nodes)
        if missing:
            raise BuildError(f"{self.dataset_id}: edges name unknown cells {sorted(missing)}")
        folder = out / self.dataset_id
        folder.mkdir(parents=True, exist_ok=True)
        header = NEURON_COLUMNS + list(extra_columns)
        rows = []
        for name in sorted(self.nodes):
            node = self.nodes[name]
            if node["cell_class"] not in CELL_CLASSES:
                raise BuildError(f"{self.dataset_id}: {name} has class {node['cell_class']}")
            rows.append([name] + [node.get(column, "") for column in header[1:]])
        write_csv(folder / "neurons.csv", header, rows)

        signed = bool(self.chemical_sign)
        chemical_rows = []
        for (pre, post) in sorted(self.chemical):
            row = [pre, post, float(self.chemical[(pre, post)])]
            if signed:
                row.append(self.chemical_sign[(pre, post)])
            chemical_rows.append(row)
        write_csv(folder / "chemical.csv",
                  ["pre", "post", "weight"] + (["sign"] if signed else []), chemical_rows)
        write_csv(folder / "electrical.csv", ["a", "b", "weight"],
                  [[a, b, float(self.electrical[(a, b)])] for (a, b) in sorted(self.electrical)])

        counts = self.counts()
        metadata = dict(metadata, id=self.dataset_id, counts=counts)
        if self.electrical_self_loops:
            loops = ", ".join(f"{name} ({format_number(weight)})"
                              for name, weight in sorted(self.electrical_self_loops.items()))
            metadata["changes"] = metadata["changes"] + [
                "Dropped gap junctions of a cell with itself (cannot be stored as a < b): "
                + loops + "."]
        write_json(folder / "metadata.json", metadata)
        return counts


# ----------------------------------------------------------------------------
# C. elegans neuron table (302 hermaphrodite neurons)


def transmitter_code(text: str) -> str:
    """Short code of one entry of Wang et al. (2024) Supplementary File 2."""
    text = text.replace("*", "").replace("- NEW", "").strip()
    text = re.sub(r"\s+", " ", text)
    codes = {
        "ACh": "ACh", "Glu": "Glu", "GABA": "GABA", "DA": "DA", "5-HT": "5HT",
        "octopamine": "OA", "5-HT (synthesis + uptake)": "5HT",
        "tyramine (synthesis + uptake)": "TA", "5-HTP": "5HTP",
        "5-HT (uptake)": "5HT-uptake", "GABA (uptake)": "GABA-uptake",
        "betaine (uptake)": "betaine-uptake",
        "5-HT (alternative synthesis/uptake mechanism)": "5HT-alternative",
        "unknown monoamine?": "monoamine?", "bas-1-depen unknown monoamine?": "monoamine?",
    }
    if text.lower().startswith("unknown (orphan"):
        return ""
    if text not in codes:
        raise BuildError(f"{WANG_FILE}: unexpected neurotransmitter entry {text!r}")
    return codes[text]


SYNTHESISED = {"ACh", "Glu", "GABA", "DA", "5HT", "OA", "TA"}


def celegans_neuron_table(wheels: Wheels) -> list[dict]:
    """Class and neurotransmitter of the 302 hermaphrodite neurons.

    ``cell_class`` comes from the row groups of Cook et al. (2019) SI 5
    (SENSORY NEURONS, INTERNEURONS, MOTOR NEURONS); the pharyngeal neurons,
    the sex-specific HSN and VC neurons and CAN, which that table groups
    otherwise, are classed from WormAtlas' neuron descriptions.
    ``cell_type`` and ``neurotransmitter`` come from Wang et al. (2024),
    Supplementary File 2.
    """
    cook_groups = {"SENSORY NEURONS": "sensory", "INTERNEURONS": "inter",
                   "MOTOR NEURONS": "motor"}
    cook_class = {}
    group = None
    for row in wheels.xlsx_rows(COOK_FILE, "hermaphrodite chemical")[3:]:
        if row[0]:
            group = row[0].strip()
        if row[2] and group in cook_groups:
            cook_class[standard_neuron_name(row[2])] = cook_groups[group]

    wormatlas = {}
    text = wheels.read("cect", WORMATLAS_NAMES_FILE).decode("utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = [field.strip() for field in line.split(";")]
        wormatlas[fields[0]] = fields[3]

    rows = wheels.xlsx_rows(WANG_FILE)
    header = rows[3]
    if header[2] != "Neuron" or header[20] != "Neurotransmitter(s)":
        raise BuildError(f"{WANG_FILE}: unexpected header {header}")
    table = []
    cell_type = None
    for row in rows[4:]:
        if not (row[2] and row[3]):
            continue
        if row[1]:
            cell_type = row[1].strip()
        # "DB1/3" and "DB3/1" are DB1 and DB3 (lineages AB plpaaaapp, AB prpaaaapp).
        name = row[2].strip().split("/")[0]
        primary = transmitter_code(row[20])
        others = [transmitter_code(x) for x in row[21:23]
                  if x and not x.strip().lower().startswith("male")]
        if primary not in SYNTHESISED:
            others = ([primary] if primary else []) + others
            primary = ""
        if name in cook_class:
            cell_class = cook_class[name]
            class_source = "Cook2019 SI5 row group"
        else:
            description = wormatlas[name]
            lowered = description.lower()
            if "motor" in lowered or name in ("MCL", "MCR"):
                cell_class = "motor"
            elif "interneuron" in lowered or name in ("CANL", "CANR"):
                cell_class = "inter"
            else:
                raise BuildError(f"no class rule for {name}: {description!r}")
            class_source = f"WormAtlas: {description}"
        table.append({
            "name": name, "cell_class": cell_class, "cell_type": cell_type,
            "neurotransmitter": primary, "sign": TRANSMITTER_SIGN.get(primary, 0),
            "other_transmitters": ";".join(dict.fromkeys(x for x in others if x)),
            "source": f"class: {class_source}; type and transmitter: Wang2024 SF2",
        })
    if len(table) != 302 or len({row["name"] for row in table}) != 302:
        raise BuildError(f"{WANG_FILE}: expected 302 neurons, found {len(table)}")
    return sorted(table, key=lambda row: row["name"])


def write_celegans_neurons(out: Path, table: list[dict]) -> None:
    header = NEURON_COLUMNS + ["other_transmitters", "source"]
    write_csv(out / "celegans_neurons.csv", header,
              [[row[column] for column in header] for row in table])


def celegans_node(name: str, neurons: dict[str, dict]) -> dict:
    if name in neurons:
        return {key: neurons[name][key] for key in NEURON_COLUMNS}
    cell_class, cell_type = non_neuronal_cell(name)
    return {"name": name, "cell_class": cell_class, "cell_type": cell_type,
            "neurotransmitter": "", "sign": 0}


# ----------------------------------------------------------------------------
# C. elegans datasets


def read_cook_matrix(rows: list[tuple], member: str, sheet: str) -> tuple[list, list, dict]:
    """Row names, column names and non-zero entries of one SI 5 adjacency sheet."""
    header = rows[2]
    columns = {j: standard_neuron_name(str(header[j])) for j in range(3, len(header))
               if header[j] is not None}
    row_names, entries = [], {}
    for row in rows[3:]:
        if not row[2]:
            if any(isinstance(x, (int, float)) and x for x in row[3:]):
                raise BuildError(f"{member} [{sheet}]: values in an unnamed row")
            continue
        pre = standard_neuron_name(str(row[2]))
        row_names.append(pre)
        for j, value in enumerate(row):
            if j < 3 or value is None or value == "":
                continue
            if j not in columns:
                if isinstance(value, str):
                    continue  # repeated row label at the right-hand edge
                raise BuildError(f"{member} [{sheet}]: value outside the named columns")
            if not isinstance(value, (int, float)):
                raise BuildError(f"{member} [{sheet}]: non-numeric entry {value!r}")
            if value:
                entries[(pre, columns[j])] = float(value)
    return row_names, list(columns.values()), entries


COOK_CITATION = ("Cook SJ, Jarrell TA, Brittin CA, Wang Y, Bloniarz AE, Yakovlev MA, "
                 "Nguyen KCQ, Tang LT-H, Bayer EA, Duerr JS, Bülow HE, Hobert O, Hall DH, "
                 "Emmons SW (2019). Whole-animal connectomes of both Caenorhabditis elegans "
                 "sexes. Nature 571:63-71.")


def build_cook(wheels: Wheels, neurons: dict, out: Path) -> dict:
    dataset = Dataset("cook2019_hermaphrodite")
    chemical_sheet = "hermaphrodite chemical"
    gap_sheet = "hermaphrodite gap jn symmetric"
    chem_rows, chem_columns, chemical = read_cook_matrix(
        wheels.xlsx_rows(COOK_FILE, chemical_sheet), COOK_FILE, chemical_sheet)
    gap_rows, gap_columns, gap = read_cook_matrix(
        wheels.xlsx_rows(COOK_FILE, gap_sheet), COOK_FILE, gap_sheet)
    for (pre, post), weight in chemical.items():
        dataset.add_chemical(pre, post, weight)
    asymmetric = sorted((a, b) for (a, b) in gap if gap.get((b, a)) != gap[(a, b)])
    if asymmetric:
        raise BuildError(f"{COOK_FILE} [{gap_sheet}]: not symmetric at {asymmetric[:5]}")
    for (a, b), weight in gap.items():
        if a <= b:
            dataset.add_electrical(a, b, weight)
    names = set(chem_rows) | set(chem_columns) | set(gap_rows) | set(gap_columns)
    names |= set(neurons)  # all 302 neurons, connected or not
    for name in names:
        dataset.nodes[name] = celegans_node(name, neurons)
    metadata = {
        "title": "C. elegans adult hermaphrodite whole-animal connectome",
        "organism": "Caenorhabditis elegans (hermaphrodite, adult)",
        "citation": COOK_CITATION,
        "doi": "10.1038/s41586-019-1352-7",
        "weight_unit": ("number of EM serial sections showing the connection "
                        "(accounts for synapse number and size), as in SI 5"),
        "source_package": WHEELS["cect"][0],
        "source_files": [COOK_FILE + f" [{chemical_sheet}; {gap_sheet}]"],
        "licence": CECT_LICENCE,
        "changes": [
            "Used the authors' corrected SI 5 (July 2020, WormWiring) rather than the "
            "original Nature SI 5 (" + COOK_ORIGINAL_FILE + "), which the correction "
            "supersedes; the correction makes the gap-junction table symmetric.",
            "Neuron names without leading zeros (DA01 -> DA1, VC01 -> VC1).",
            "Gap junctions from the symmetric sheet, each pair written once.",
            ("cell_class, cell_type, neurotransmitter and sign of neurons from "
            "celegans_neurons.csv; muscles and end organs classed by name (SOURCES.md)."),
        ],
        "notes": [
            ("Chemical rows are the 300 neurons of SI 5 (CANL/CANR have no synapses); "
            "columns include body-wall, pharyngeal, vulval and other muscles and end "
            "organs, so neuron-to-muscle synapses are included."),
            "Includes connections the authors added by extrapolation where EM data were missing.",
        ],
    }
    return dataset.write(out, metadata)


def build_varshney(wheels: Wheels, neurons: dict, out: Path) -> dict:
    import xlrd

    book = xlrd.open_workbook(file_contents=wheels.read("cect", VARSHNEY_FILE))
    sheet = book.sheet_by_index(0)
    header = sheet.row_values(0)
    if header != ["Neuron 1", "Neuron 2", "Type", "Nbr"]:
        raise BuildError(f"{VARSHNEY_FILE}: unexpected header {header}")
    dataset = Dataset("varshney2011")
    sends, receives, gap_entries = Counter(), Counter(), {}
    nmj = Counter()
    names = set()
    for index in range(1, sheet.nrows):
        first, second, kind, number = sheet.row_values(index)
        first = standard_neuron_name(first.upper())  # the source has "avfl", "avfr"
        names.add(first)
        if kind == "NMJ":
            nmj[first] += number
            continue
        second = standard_neuron_name(second.upper())
        names.add(second)
        if kind in ("S", "Sp"):
            sends[(first, second)] += number
        elif kind in ("R", "Rp"):
            receives[(second, first)] += number
        elif kind == "EJ":
            if (first, second) in gap_entries:
                raise BuildError(f"{VARSHNEY_FILE}: repeated EJ row {first}-{second}")
            gap_entries[(first, second)] = number
        else:
            raise BuildError(f"{VARSHNEY_FILE}: unknown type {kind!r}")
    if sends != receives:
        raise BuildError(f"{VARSHNEY_FILE}: send and receive rows disagree")
    for (pre, post), number in sends.items():
        dataset.add_chemical(pre, post, number)
    for (a, b), number in gap_entries.items():
        if gap_entries.get((b, a)) != number:
            raise BuildError(f"{VARSHNEY_FILE}: EJ {a}-{b} not listed symmetrically")
        if a <= b:
            dataset.add_electrical(a, b, number)
    for name in names:
        node = celegans_node(name, neurons)
        node["nmj_synapses"] = int(nmj.get(name, 0))
        dataset.nodes[name] = node
    metadata = {
        "title": "C. elegans somatic nervous system wiring (Varshney et al. 2011)",
        "organism": "Caenorhabditis elegans (hermaphrodite, adult)",
        "citation": ("Varshney LR, Chen BL, Paniagua E, Hall DH, Chklovskii DB (2011). "
                     "Structural properties of the Caenorhabditis elegans neuronal network. "
                     "PLoS Comput Biol 7(2):e1001066."),
        "doi": "10.1371/journal.pcbi.1001066",
        "weight_unit": "number of synapses (chemical: S + Sp rows; electrical: EJ rows)",
        "source_package": WHEELS["cect"][0],
        "source_files": [VARSHNEY_FILE],
        "licence": CECT_LICENCE,
        "changes": [
            ("Chemical edges from the send rows (S and Sp, summed per ordered pair); the "
            "receive rows (R, Rp) were checked to mirror them exactly and not added again."),
            "Gap junctions (EJ) are listed in both directions in the source; written once.",
            "Neuron names without leading zeros; lower-case 'avfl'/'avfr' read as AVFL/AVFR.",
            "NMJ rows have no muscle target; their counts are the extra column nmj_synapses.",
        ],
        "notes": [
            ("280 neurons: the 20 pharyngeal neurons and CANL/CANR are absent from the "
            "source (pharynx not covered; CAN has no synapses)."),
            ("The paper reports 6393 chemical synapses, 890 gap junctions and 1410 NMJs; "
            "the source file sums to 6394 chemical synapses, 887 gap junctions between "
            "distinct pairs (plus 3 of a cell with itself, dropped) and 1410 NMJs."),
        ],
    }
    return dataset.write(out, metadata, extra_columns=["nmj_synapses"])


def edge_list_dataset(dataset: Dataset, records, neurons: dict, rename) -> None:
    """Fill a dataset from ``(pre, post, type, synapses)`` records."""
    for pre, post, kind, number in records:
        pre, post = rename(str(pre)), rename(str(post))
        if kind == "chemical":
            dataset.add_chemical(pre, post, float(number))
        elif kind == "electrical":
            dataset.add_electrical(pre, post, float(number))
        else:
            raise BuildError(f"{dataset.dataset_id}: unknown synapse type {kind!r}")
    for name in dataset.edge_names():
        dataset.nodes[name] = celegans_node(name, neurons)


def build_white(wheels: Wheels, neurons: dict, out: Path) -> dict:
    text = wheels.read("cect", WHITE_FILE).decode("utf-8")
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    if lines[0] != ["pre", "post", "type", "synapses"]:
        raise BuildError(f"{WHITE_FILE}: unexpected header {lines[0]}")
    records = [(pre, post, kind, int(number)) for pre, post, kind, number in lines[1:]]
    seen = Counter((pre, post, kind) for pre, post, kind, _ in records)
    repeated = [key for key, count in seen.items() if count > 1]
    if repeated:
        raise BuildError(f"{WHITE_FILE}: repeated rows {repeated[:5]}")
    dataset = Dataset("white1986")
    edge_list_dataset(dataset, records, neurons, standard_neuron_name)
    metadata = {
        "title": "C. elegans nervous system (White et al. 1986, whole animal)",
        "organism": "Caenorhabditis elegans (hermaphrodite, adult; N2U and JSH series)",
        "citation": ("White JG, Southgate E, Thomson JN, Brenner S (1986). The structure of "
                     "the nervous system of the nematode Caenorhabditis elegans. Philos "
                     "Trans R Soc Lond B Biol Sci 314(1165):1-340."),
        "doi": "10.1098/rstb.1986.0056",
        "weight_unit": "number of synaptic contacts (each contact counted once, "
                       "regardless of size)",
        "source_package": WHEELS["cect"][0],
        "source_files": [WHITE_FILE],
        "licence": CECT_LICENCE,
        "changes": [
            "Electrical rows are listed once per pair in the source; written with a < b.",
        ],
        "notes": [
            ("Edge list of the whole-animal White et al. 1986 data as shipped in cect "
            "(tab-separated, pharynx included). The node LegacyBodyWallMuscles lumps "
            "all body-wall muscles (cell_type BWM); pm1 and pm4 are pharyngeal muscles."),
        ],
    }
    return dataset.write(out, metadata)


def build_witvliet(wheels: Wheels, neurons: dict, out: Path, number: int) -> dict:
    member = CECT_DATA + WITVLIET_FILES[number]
    rows = wheels.xlsx_rows(member)
    if rows[0] != ("pre", "post", "type", "synapses"):
        raise BuildError(f"{member}: unexpected header {rows[0]}")
    records = [row[:4] for row in rows[1:] if row[0] is not None]
    seen = Counter((pre, post, kind) for pre, post, kind, _ in records)
    repeated = [key for key, count in seen.items() if count > 1]
    if repeated:
        raise BuildError(f"{member}: repeated rows {repeated[:5]}")
    dataset = Dataset(f"witvliet2021_{number}")
    edge_list_dataset(dataset, records, neurons, witvliet_cell_name)
    stage, hours = WITVLIET_STAGES[number]
    metadata = {
        "title": f"C. elegans nerve ring connectome, dataset {number} ({stage}, "
                 f"{hours} h after birth)",
        "organism": f"Caenorhabditis elegans (hermaphrodite, {stage})",
        "citation": ("Witvliet D, Mulcahy B, Mitchell JK, Meirovitch Y, Berger DR, Wu Y, "
                     "Liu Y, Koh WX, Parvathala R, Holmyard D, Schalek RL, Shavit N, "
                     "Chisholm AD, Lichtman JW, Samuel ADT, Zhen M (2021). Connectomes "
                     "across development reveal principles of brain maturation. "
                     "Nature 596:257-261."),
        "doi": "10.1038/s41586-021-03778-8",
        "weight_unit": "number of synapses",
        "source_package": WHEELS["cect"][0],
        "source_files": [member],
        "licence": CECT_LICENCE,
        "changes": [
            ("Body-wall muscle names in Cook 2019 spelling (BWM-DL01 -> dBWML1); "
            "excgl -> exc_gl."),
            "Electrical rows are listed once per pair in the source; written with a < b.",
        ],
        "notes": [
            ("Brain (nerve ring and ventral ganglion) volume only: neurons outside it and "
            "most muscles are absent; CEPsh are glia (cell_class other)."),
            f"Datasets 1-8 run from birth to adulthood; this is dataset {number}.",
        ],
    }
    return dataset.write(out, metadata)


def build_haspel(wheels: Wheels, neurons: dict, out: Path) -> dict:
    import scipy.io

    mat = scipy.io.loadmat(io.BytesIO(wheels.read("cect", HASPEL_FILE)))
    names = [str(entry[0]) for entry in mat["Names_conn_full"].flatten()]
    chemical = mat["A_conn_full"]  # rows: postsynaptic, columns: presynaptic
    gap = mat["J_conn_full"]
    if chemical.shape != (102, 102) or gap.shape != (102, 102):
        raise BuildError(f"{HASPEL_FILE}: unexpected matrix shapes")
    renamed = [standard_neuron_name(name) for name in names]
    classes = {}
    for row in neurons.values():
        classes.setdefault(row["cell_type"], row)
    dataset = Dataset("haspel_odonovan2011")
    for index, name in enumerate(renamed):
        segment = index // 17 + 1
        if re.fullmatch(r"M[DV]lr\d+", name):
            cell_class, cell_type = non_neuronal_cell(name)
            node = {"name": name, "cell_class": cell_class, "cell_type": cell_type,
                    "neurotransmitter": "", "sign": 0}
        else:
            cell_type = re.sub(r"\d+$", "", name)
            source = classes[cell_type]
            node = {"name": name, "cell_class": source["cell_class"],
                    "cell_type": cell_type,
                    "neurotransmitter": source["neurotransmitter"], "sign": source["sign"]}
        node["segment"] = segment
        dataset.nodes[name] = node
    for post_index, post in enumerate(renamed):
        for pre_index, pre in enumerate(renamed):
            value = float(chemical[post_index, pre_index])
            if value:
                dataset.add_chemical(pre, post, abs(value), 1 if value > 0 else -1)
    for i in range(len(renamed)):
        for j in range(i + 1, len(renamed)):
            weight = max(float(gap[i, j]), float(gap[j, i]))
            if weight:
                dataset.add_electrical(renamed[i], renamed[j], weight)
    if np.trace(gap) or np.trace(chemical):
        raise BuildError(f"{HASPEL_FILE}: unexpected self-connections")
    asymmetric = int(np.sum((gap != gap.T) & (gap != 0) & (gap.T != 0)))
    if asymmetric:
        raise BuildError(f"{HASPEL_FILE}: gap junction pairs with two different weights")
    one_sided = int(np.sum((gap != 0) & (gap.T == 0)))
    metadata = {
        "title": "C. elegans ventral-cord locomotion circuit, signed segmental model",
        "organism": "Caenorhabditis elegans (hermaphrodite; model)",
        "citation": ("Haspel G, O'Donovan MJ (2011). A perimotor framework reveals functional "
                     "segmentation in the motoneuronal network controlling locomotion in "
                     "Caenorhabditis elegans. J Neurosci 31(41):14611-14623."),
        "doi": "10.1523/JNEUROSCI.2186-11.2011",
        "weight_unit": ("synapse count of the model (from White et al. 1986 and Varshney et "
                        "al. 2011 EM counts, averaged over repeating units; may be fractional)"),
        "source_package": WHEELS["cect"][0],
        "source_files": [HASPEL_FILE + " [A_conn_full, J_conn_full, Names_conn_full]"],
        "licence": CECT_LICENCE,
        "changes": [
            ("A_conn_full is read as A[post, pre] (muscles only receive, DD/VD columns are "
            "negative); weight = |A|, sign column = sign of A."),
            (f"J_conn_full has {one_sided} entries whose mirror entry is 0; each gap-junction "
            "pair is written once with weight max(J[i, j], J[j, i])."),
            ("Neuron names without leading zeros (AS01 -> AS1); muscle units kept as named "
            "(MDlr01 = dorsal left and right muscles of position 1, lumped)."),
        ],
        "notes": [
            ("Six repeated segments of 11 motor neurons (2 AS, DA, DB, DD, 2 VD, 2 VB, 2 VA) "
            "and 6 lumped muscle units each (column segment). The units are named after "
            "real neurons, but the model repeats one segment: it has AS1-AS12 and "
            "VB1-VB12 (the animal has 11 of each) and lacks DA7-DA9, DB7 and VD13, so "
            "posterior units need not be the animal's cells of the same name. Class, "
            "neurotransmitter and sign of every unit come from its class in "
            "celegans_neurons.csv."),
            "The one-segment model (A_conn_seg) is not bundled.",
        ],
    }
    return dataset.write(out, metadata, extra_columns=["segment"])


# ----------------------------------------------------------------------------
# Drosophila datasets

EICHLER_TYPES = {"K": "KC", "P": "PN", "I": "MBIN", "O": "MBON"}
EICHLER_TYPE_NAMES = {"KC": "Kenyon cell", "PN": "projection neuron",
                      "MBIN": "mushroom body input neuron",
                      "MBON": "mushroom body output neuron"}


def build_eichler(wheels: Wheels, out: Path, side: str) -> dict:
    adjacency_member = f"{EICHLER_DIR}{side}_adjacency.csv"
    labels_member = f"{EICHLER_DIR}{side}_cell_labels.csv"
    adjacency = np.loadtxt(io.BytesIO(wheels.read("graspologic", adjacency_member)))
    labels = wheels.read("graspologic", labels_member).decode("ascii").split()
    if adjacency.shape != (len(labels), len(labels)):
        raise BuildError(f"{adjacency_member}: shape {adjacency.shape}, {len(labels)} labels")
    if not np.array_equal(adjacency, np.round(adjacency)):
        raise BuildError(f"{adjacency_member}: non-integer synapse counts")
    dataset = Dataset(f"eichler2017_mushroom_body_{side}")
    names, per_type = [], Counter()
    for label in labels:
        cell_type = EICHLER_TYPES[label]
        per_type[cell_type] += 1
        name = f"{cell_type}{per_type[cell_type]:03d}"
        names.append(name)
        dataset.nodes[name] = {"name": name, "cell_class": "inter", "cell_type": cell_type,
                               "neurotransmitter": "", "sign": 0, "index": len(names) - 1}
    for pre_index, post_index in zip(*np.nonzero(adjacency)):
        dataset.add_chemical(names[pre_index], names[post_index],
                             float(adjacency[pre_index, post_index]))
    metadata = {
        "title": f"Drosophila larva mushroom body connectome ({side} hemisphere)",
        "organism": "Drosophila melanogaster (first-instar larva)",
        "citation": ("Eichler K, Li F, Litwin-Kumar A, Park Y, Andrade I, Schneider-Mizell "
                     "CM, Saumweber T, Huser A, Eschbach C, Gerber B, Fetter RD, Truman JW, "
                     "Priebe CE, Abbott LF, Thum AS, Zlatic M, Cardona A (2017). The "
                     "complete connectome of a learning and memory centre in an insect "
                     "brain. Nature 548:175-182."),
        "doi": "10.1038/nature23455",
        "weight_unit": "number of synapses",
        "source_package": WHEELS["graspologic"][0],
        "source_files": [adjacency_member, labels_member],
        "licence": ("Data of the cited paper, redistributed in the MIT-licensed graspologic "
                    "3.4.4 wheel (Microsoft); cite the original paper."),
        "changes": [
            ("The source has no cell names: cells are named by type and order of "
            "appearance (KC001, PN001, ...); the column index is the row/column of the "
            "source adjacency matrix (0-based)."),
            ("Labels K, P, I, O read as KC (Kenyon cell), PN (projection neuron), MBIN "
            "(mushroom body input neuron), MBON (mushroom body output neuron)."),
            "Adjacency read as A[pre, post].",
        ],
        "notes": [
            ("No neurotransmitter per cell in the source: neurotransmitter empty, sign 0. "
            "All cells get cell_class inter."),
            "No gap junctions in the source.",
        ],
    }
    return dataset.write(out, metadata, extra_columns=["index"])


PHOTORECEPTORS = {f"R{i}" for i in range(1, 9)}


def build_lappalainen(wheels: Wheels, out: Path) -> dict:
    model = json.loads(wheels.read("flyvis", FLYVIS_FILE))
    dataset = Dataset("lappalainen2024_optic_lobe")
    offsets_rows = []
    outgoing_signs = defaultdict(set)
    for edge in model["edges"]:
        if edge["edge_type"] != "chem" or edge["alpha"] not in (-1, 1):
            raise BuildError(f"{FLYVIS_FILE}: unexpected edge {edge['src']}->{edge['tar']}")
        total = 0.0
        for (u, v), synapses in edge["offsets"]:
            total += float(synapses)
            offsets_rows.append([edge["src"], edge["tar"], int(u), int(v),
                                 round(float(synapses), 6)])
        dataset.add_chemical(edge["src"], edge["tar"], round(total, 6), int(edge["alpha"]))
        outgoing_signs[edge["src"]].add(int(edge["alpha"]))
    inputs, outputs = set(model["input_units"]), set(model["output_units"])
    for node in model["nodes"]:
        name = node["name"]
        signs = outgoing_signs.get(name, set())
        stride = node["pattern"][1]
        dataset.nodes[name] = {
            "name": name,
            "cell_class": "sensory" if name in PHOTORECEPTORS else "inter",
            "cell_type": name, "neurotransmitter": "",
            "sign": signs.pop() if len(signs) == 1 else 0,
            "input_unit": int(name in inputs), "output_unit": int(name in outputs),
            "column_stride": f"{stride[0]}x{stride[1]}",
        }
    counts = dataset.write(out, {
        "title": "Drosophila optic lobe columnar connectome with signs (flyvis model)",
        "organism": "Drosophila melanogaster (adult, optic lobe)",
        "citation": ("Lappalainen JK, Tschopp FD, Prakhya S, McGill M, Nern A, Shinomiya K, "
                     "Takemura S, Gruntman E, Macke JH, Turaga SC (2024). Connectome-"
                     "constrained networks predict neural activity across the fly visual "
                     "system. Nature 634:1132-1140."),
        "doi": "10.1038/s41586-024-07939-3",
        "weight_unit": ("mean number of synapses a postsynaptic cell of type post receives "
                        "from cells of type pre, summed over the column offsets of the "
                        "model (averaged over columns of the FIB-SEM reconstructions)"),
        "source_package": WHEELS["flyvis"][0],
        "source_files": [FLYVIS_FILE],
        "licence": ("Data of the cited paper, redistributed in the MIT-licensed flyvis 1.2.0 "
                    "wheel (TuragaLab); cite the original paper."),
        "changes": [
            ("One node per cell type (65); each edge's weight is the sum of its per-offset "
            "mean synapse counts; sign column is the edge's sign (alpha) from the model."),
            ("The per-offset counts on the hexagonal lattice are kept in "
            "chemical_offsets.csv (pre, post, u, v, weight)."),
            "Weights rounded to 6 decimals.",
        ],
        "notes": [
            ("A cell-type-level model: every type is repeated in each column of the "
            "hexagonal lattice (column_stride 1x1, or sparser where given). Neuron sign is "
            "the common sign of its outgoing edges (0 for types without outgoing edges or "
            "with mixed signs); the source gives no neurotransmitter names."),
            "input_unit / output_unit mark the model's input (R1-R8) and output types.",
        ],
    }, extra_columns=["input_unit", "output_unit", "column_stride"])
    offsets_rows.sort(key=lambda row: (row[0], row[1], row[2], row[3]))
    write_csv(out / dataset.dataset_id / "chemical_offsets.csv",
              ["pre", "post", "u", "v", "weight"], offsets_rows)
    return counts


# ----------------------------------------------------------------------------


def build_all(wheels: Wheels, out: Path) -> dict[str, dict]:
    out.mkdir(parents=True, exist_ok=True)
    table = celegans_neuron_table(wheels)
    write_celegans_neurons(out, table)
    neurons = {row["name"]: row for row in table}
    counts = {
        "cook2019_hermaphrodite": build_cook(wheels, neurons, out),
        "varshney2011": build_varshney(wheels, neurons, out),
        "white1986": build_white(wheels, neurons, out),
    }
    for number in WITVLIET_FILES:
        counts[f"witvliet2021_{number}"] = build_witvliet(wheels, neurons, out, number)
    counts["haspel_odonovan2011"] = build_haspel(wheels, neurons, out)
    for side in ("left", "right"):
        counts[f"eichler2017_mushroom_body_{side}"] = build_eichler(wheels, out, side)
    counts["lappalainen2024_optic_lobe"] = build_lappalainen(wheels, out)
    return counts


def built_files(folder: Path) -> list[Path]:
    """Files this script writes, relative to ``folder``."""
    files = [Path("celegans_neurons.csv")]
    for child in sorted(folder.iterdir()):
        if child.is_dir() and (child / "metadata.json").exists():
            files += [path.relative_to(folder) for path in sorted(child.iterdir())
                      if path.is_file()]
    return files


def compare(built: Path, committed: Path) -> list[str]:
    problems = []
    new_files, old_files = set(built_files(built)), set(built_files(committed))
    for path in sorted(new_files - old_files):
        problems.append(f"missing from {committed}: {path}")
    for path in sorted(old_files - new_files):
        problems.append(f"not produced by the build: {path}")
    for path in sorted(new_files & old_files):
        new, old = (built / path).read_bytes(), (committed / path).read_bytes()
        if new != old:
            diff = difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(),
                new.decode("utf-8", "replace").splitlines(),
                f"committed/{path}", f"rebuilt/{path}", lineterm="", n=0)
            lines = list(diff)
            problems.append(f"differs: {path}\n" + "\n".join(lines[:20])
                            + ("\n..." if len(lines) > 20 else ""))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path,
                        help="folder holding the pinned wheels (default: pip download them)")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="output folder (default: this script's folder)")
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary folder and compare with --out")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        folder = args.wheels
        if folder is None:
            folder = scratch / "wheels"
            download_wheels(folder)
        wheels = Wheels(folder)
        target = scratch / "rebuilt" if args.check else args.out
        counts = build_all(wheels, target)
        if args.check:
            problems = compare(target, args.out)
            for problem in problems:
                print(problem)
            if problems:
                print(f"{len(problems)} file(s) differ from {args.out}")
                return 1
            print(f"all {len(built_files(target))} files identical to {args.out}")
            return 0
    width = max(map(len, counts))
    print(f"{'dataset':{width}}  neurons  chemical  sum_chem  electrical  sum_elec")
    for dataset_id, count in counts.items():
        print(f"{dataset_id:{width}}  {count['neurons']:7d}  {count['chemical_edges']:8d}  "
              f"{format_number(count['chemical_weight_sum']):>8}  "
              f"{count['electrical_edges']:10d}  "
              f"{format_number(count['electrical_weight_sum']):>8}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as error:
        print(f"build.py: {error}", file=sys.stderr)
        sys.exit(2)
