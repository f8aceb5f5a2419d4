"""The reproduction runner: registry, listing, the files it writes and the errors it gives."""

import json
import sys
import types

import numpy as np
import pytest

from neuroworm import cli
from neuroworm.errors import ConfigError
from neuroworm.papers import registry
from neuroworm.papers.reproduce import Reproduction, list_items, reproduce


def _toy_item(*, scale="small", seed=0, out=None, **options):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    rng = np.random.default_rng(seed)
    curve = np.cumsum(rng.normal(size=5))
    figure, axis = plt.subplots()
    axis.plot(curve)
    return Reproduction(
        paper={"final": 1.5}, ours={"final": np.float64(curve[-1]), "curve": curve, "n": np.int64(5),
                                    "undefined": float("nan")},
        table=pd.DataFrame({"generation": np.arange(5), "value": curve}), figure=figure,
        notes=f"toy at {scale} scale",
    )


@pytest.fixture
def toy_registry(monkeypatch):
    module = types.ModuleType("neuroworm_toy_reproduction")
    module.toy = _toy_item
    monkeypatch.setitem(sys.modules, "neuroworm_toy_reproduction", module)
    module.__spec__ = types.SimpleNamespace(name=module.__name__)
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: module.__spec__ if name == module.__name__ else real_find_spec(name, *a))
    items = {"toy": registry.Item("toypaper", "toy", "neuroworm_toy_reproduction:toy", "a toy item"),
             "missing": registry.Item("toypaper", "missing", "neuroworm_toy_reproduction:absent", "not written")}
    monkeypatch.setitem(registry.ITEMS, "toypaper", items)
    return items


def test_every_paper_of_the_issues_is_registered_with_its_items():
    assert set(registry.ITEMS) == {"schmidgall2023", "gorantla2019", "bertens2019", "bardozzo2023", "beyond"}
    assert set(registry.ITEMS["schmidgall2023"]) == {"fig3", "fig4", "fig5"}
    assert set(registry.ITEMS["gorantla2019"]) == {"table1", "table2", "theorem2", "genes", "alleles"}
    assert set(registry.ITEMS["bertens2019"]) == {"iaf", "stdp", "tmaze"}
    assert set(registry.ITEMS["bardozzo2023"]) == {"fig2", "rewiring", "table1", "table2"}
    for paper, items in registry.ITEMS.items():
        assert paper in registry.PAPERS
        for name, item in items.items():
            assert (item.paper, item.name) == (paper, name)
            assert item.entry_point.startswith("neuroworm.papers.")


def test_list_reports_implemented_and_missing_items(toy_registry):
    table = list_items()
    rows = table[table.paper == "toypaper"].set_index("item")["status"]
    assert rows["toy"] == "implemented"
    assert rows["missing"] == "not implemented"
    assert len(table) == sum(len(items) for items in registry.ITEMS.values())


def test_reproduce_writes_csv_png_and_json_with_the_required_keys(toy_registry, tmp_path):
    document = reproduce("toypaper", "toy", scale="small", seed=3, out=tmp_path)
    for suffix in ("csv", "png", "json"):
        assert (tmp_path / f"toy.{suffix}").stat().st_size > 0
    written = json.loads((tmp_path / "toy.json").read_text())
    assert written == document
    assert {"paper", "ours", "scale", "seed", "seconds", "command"} <= set(written)
    assert written["paper"] == {"final": 1.5}
    assert written["ours"]["n"] == 5 and len(written["ours"]["curve"]) == 5
    assert written["ours"]["undefined"] is None  # NaN is not JSON
    assert written["scale"] == "small" and written["seed"] == 3 and written["seconds"] >= 0
    assert written["command"].startswith("neuroworm reproduce toypaper toy --scale small --seed 3")
    again = reproduce("toypaper", "toy", seed=3, out=tmp_path / "again")
    assert again["ours"] == written["ours"]  # same seed, same numbers


@pytest.mark.parametrize("arguments, message", [
    (("nopaper", "toy"), "unknown paper"),
    (("toypaper", "nothing"), "unknown item"),
    (("toypaper", "missing"), "not implemented"),
])
def test_reproduce_refuses_unknown_or_missing_items(toy_registry, tmp_path, arguments, message):
    with pytest.raises(ConfigError, match=message):
        reproduce(*arguments, out=tmp_path)


@pytest.mark.parametrize("options, message", [
    ({"scale": "huge"}, "scale"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"dataset": "mnist"}, "option"),
])
def test_reproduce_refuses_bad_settings(toy_registry, tmp_path, options, message):
    with pytest.raises(ConfigError, match=message):
        reproduce("toypaper", "toy", out=tmp_path, **options)
    assert not (tmp_path / "toy.json").exists()


def test_cli_lists_items_and_reports_missing_ones_without_traceback(capsys):
    assert cli.main(["reproduce", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "schmidgall2023" in listing and "fig3" in listing and "tmaze" in listing
    assert cli.main(["reproduce"]) == 2
    assert "name a PAPER and an ITEM" in capsys.readouterr().err
