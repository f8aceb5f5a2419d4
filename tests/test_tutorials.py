"""Every tutorial notebook runs from top to bottom at small scale.

Notebooks are stored without outputs; here each is executed in a fresh
kernel with ``NEUROWORM_SMALL=1`` so that its loops stay short. An error in
any cell fails the test.
"""

import os
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).resolve().parents[1] / "tutorials").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(notebook, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("NEUROWORM_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NEUROWORM_TUTORIAL_OUT", str(tmp_path))
    document = nbformat.read(notebook, as_version=4)
    assert all(not cell.get("outputs") for cell in document.cells if cell.cell_type == "code"), (
        f"{notebook.name} is stored with outputs; clear them before committing"
    )
    client = nbclient.NotebookClient(
        document, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}}
    )
    client.execute()


def test_there_are_tutorials():
    assert TUTORIALS, "tutorials/ has no notebooks"
    assert os.path.isdir(TUTORIALS[0].parent)
