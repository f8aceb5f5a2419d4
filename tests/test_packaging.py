"""Packaging: the wheel ships the bundled data, and importing neuroworm stays light."""

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "neuroworm").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [options] packages in setup.cfg"


def test_import_does_not_load_heavy_dependencies():
    code = (
        "import sys, neuroworm, neuroworm.connectome, neuroworm.cli, neuroworm.plot;"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'brian2', 'mujoco', 'dask', 'distributed', 'matplotlib'});"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("neuroworm-*.whl")
    return path


def test_wheel_contains_connectome_data_and_models(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for dataset in sorted(p.name for p in (ROOT / "connectome_data").iterdir() if (p / "metadata.json").exists()):
        for table in ("neurons.csv", "chemical.csv", "electrical.csv", "metadata.json"):
            assert f"neuroworm/bundled/connectome_data/{dataset}/{table}" in names
    assert "neuroworm/bundled/connectome_data/SOURCES.md" in names
    for model_file in (ROOT / "models").iterdir():
        if model_file.suffix in {".toml", ".npz", ".md"}:
            assert f"neuroworm/bundled/models/{model_file.name}" in names


def test_installed_wheel_loads_bundled_connectomes(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import neuroworm;"
        f"assert neuroworm.__file__.startswith({str(target)!r}), neuroworm.__file__;"
        "print(len(neuroworm.load_connectome('cook2019_hermaphrodite').neurons))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": ""},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 302


def test_installed_wheel_ships_and_builds_the_compiled_enu_kernel(wheel, tmp_path):
    names = zipfile.ZipFile(wheel).namelist()
    assert {"neuroworm/backends/_enu_kernel.pyx", "neuroworm/backends/_enu_kernel.h"} <= set(names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import neuroworm.backends.enu as enu;"
        f"assert enu.__file__.startswith({str(target)!r}), enu.__file__;"
        "print(enu.ENULayer(enu.ENUShape(1), 2, 3, kernel='compiled').kernel)"
    )
    environment = {"PYTHONPATH": str(target), "PATH": os.environ.get("PATH", ""),
                   "NEUROWORM_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "compiled"
