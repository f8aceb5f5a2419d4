"""The reproduction runner: registry, listing, the files it writes and the errors it gives."""

import json
import sys
import types

import numpy as np
import pytest

from neuroworm import cli
from neuroworm.errors import ConfigError
from neuroworm.papers import registry
from neuroworm.papers.reproduce import Reproduction, list_items, report, reproduce
from neuroworm.papers.verdict import Ordering, Threshold, Trend, Value


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
        # "big" beats "small" by 10 at every seed, with a little noise; "level" sits near 1.5
        samples={"big": 10.0 + rng.normal(0, 0.5), "small": rng.normal(0, 0.5), "level": 1.5 + rng.normal(0, 0.01),
                 "at0": 3.0 + rng.normal(0, 0.1), "at1": 2.0 + rng.normal(0, 0.1), "at2": 1.0 + rng.normal(0, 0.1)},
        claims=[Ordering("big beats small", greater="big", lesser="small"),
                Value("level is the paper's 1.5", sample="level", paper=1.5),
                Threshold("big is above 5", sample="big", target=5.0),
                Trend("it falls", x=(0, 1, 2), samples=("at0", "at1", "at2"))],
        deviations=["a toy"], test_data="toy test seeds", selection="nothing chosen",
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
    items = {"toy": registry.Item("toypaper", "toy", "neuroworm_toy_reproduction:toy", "a toy item",
                                  scales=("small", "medium")),
             "missing": registry.Item("toypaper", "missing", "neuroworm_toy_reproduction:absent", "not written")}
    monkeypatch.setitem(registry.ITEMS, "toypaper", items)
    return items


def test_every_paper_of_the_issues_is_registered_with_its_items():
    assert set(registry.ITEMS) == {"schmidgall2023", "gorantla2019", "bertens2019", "bardozzo2023", "beyond"}
    assert set(registry.ITEMS["schmidgall2023"]) == {"fig3", "fig4", "fig5"}
    assert set(registry.ITEMS["gorantla2019"]) == {"table1", "table2", "theorem2", "genes", "alleles"}
    assert set(registry.ITEMS["bertens2019"]) == {"iaf", "stdp", "tmaze"}
    assert set(registry.ITEMS["bardozzo2023"]) == {"fig2", "fig2pooled", "rewiring", "table1", "table2"}
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
        assert (tmp_path / "seeds" / f"toy.seed3.{suffix}").stat().st_size > 0
    written = json.loads((tmp_path / "toy.json").read_text())
    assert written == document
    assert {"paper", "item", "claim", "paper_value", "ours", "verdict", "statistic", "scale", "seeds", "seconds",
            "command", "deviations", "test_data", "selection"} <= set(written)
    assert written["paper"] == "toypaper" and written["paper_value"] == {"final": 1.5}
    assert written["details"]["n"] == 5 and len(written["details"]["curve"]) == 5
    assert written["details"]["undefined"] is None  # NaN is not JSON
    assert written["scale"] == "small" and written["seeds"] == [3] and written["seconds"] >= 0
    assert written["command"].startswith("neuroworm reproduce toypaper toy --scale small --seed 3")
    assert written["claim"] == "big beats small" and written["deviations"] == ["a toy"]
    assert {claim["verdict"] for claim in written["claims"]} == {"not tested at this scale"}
    again = reproduce("toypaper", "toy", seed=3, out=tmp_path / "again")
    assert again["ours"] == written["ours"]  # same seed, same numbers


def test_seeds_of_separate_commands_pool_and_get_verdicts_at_medium_scale(toy_registry, tmp_path):
    first = reproduce("toypaper", "toy", scale="medium", seed=0, seeds=2, out=tmp_path)
    assert first["seeds"] == [0, 1]
    assert first["claims"][0]["verdict"] == "not tested (too few seeds)" or first["claims"][0]["verdict"] in (
        "reproduced", "inconclusive")
    pooled = reproduce("toypaper", "toy", scale="medium", seed=2, seeds=2, out=tmp_path)  # a second command
    assert pooled["seeds"] == [0, 1, 2, 3]
    assert pooled["command"].endswith("--seed 0 --seeds 4 --out " + str(tmp_path))
    verdicts = {claim["text"]: claim["verdict"] for claim in pooled["claims"]}
    assert verdicts == {"big beats small": "reproduced", "level is the paper's 1.5": "reproduced",
                        "big is above 5": "reproduced", "it falls": "reproduced"}
    assert pooled["ours"]["big"]["n"] == 4 and set(pooled["ours"]["big"]["per_seed"]) == {"0", "1", "2", "3"}
    assert len((tmp_path / "toy.csv").read_text().splitlines()) == 5  # header + one row per seed
    small = reproduce("toypaper", "toy", scale="small", seed=9, out=tmp_path)  # other scales are not pooled
    assert small["seeds"] == [9]
    assert "left out: ['medium']" in small["notes"]


def test_reproduce_refuses_a_scale_the_item_does_not_offer(toy_registry, tmp_path):
    with pytest.raises(ConfigError, match="no paper scale"):
        reproduce("toypaper", "toy", scale="paper", out=tmp_path)
    assert not tmp_path.joinpath("seeds").exists()


def test_a_claim_naming_an_unreported_sample_is_refused(toy_registry, tmp_path, monkeypatch):
    def broken(**kwargs):
        result = _toy_item(**kwargs)
        result.claims.append(Ordering("ghost", greater="ghost", lesser="big"))
        return result

    monkeypatch.setattr(sys.modules["neuroworm_toy_reproduction"], "toy", broken)
    with pytest.raises(ConfigError, match="ghost"):
        reproduce("toypaper", "toy", out=tmp_path)


def test_a_seed_restored_from_the_items_cache_counts_the_time_its_runs_took(toy_registry, tmp_path, monkeypatch):
    def cached(**kwargs):
        result = _toy_item(**kwargs)
        result.compute_seconds = 283.5 + kwargs["seed"]  # what the item's cache recorded for its runs
        return result

    monkeypatch.setattr(sys.modules["neuroworm_toy_reproduction"], "toy", cached)
    pooled = reproduce("toypaper", "toy", scale="medium", seed=0, seeds=2, out=tmp_path)
    seed0 = json.loads((tmp_path / "seeds" / "toy.seed0.json").read_text())
    assert seed0["seconds"] == 283.5 and seed0["wall_seconds"] < 60
    assert pooled["seconds"] == pytest.approx(283.5 + 284.5)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_bad_compute_seconds_is_refused(toy_registry, tmp_path, monkeypatch, bad):
    def broken(**kwargs):
        result = _toy_item(**kwargs)
        result.compute_seconds = bad
        return result

    monkeypatch.setattr(sys.modules["neuroworm_toy_reproduction"], "toy", broken)
    with pytest.raises(ConfigError, match="compute_seconds"):
        reproduce("toypaper", "toy", out=tmp_path)


def test_cli_report_prints_the_claims_table(toy_registry, tmp_path, capsys):
    reproduce("toypaper", "toy", scale="medium", seed=0, seeds=3, out=tmp_path / "toypaper" / "toy")
    assert cli.main(["reproduce", "--report", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| paper | item | claim |") and "big beats small" in printed
    assert "neuroworm reproduce toypaper toy --scale medium --seed 0 --seeds 3" in printed


def test_the_readme_claims_table_is_the_report_of_the_committed_results(monkeypatch):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text()
    start, end = "<!-- claims table: neuroworm reproduce --report -->", "<!-- end of claims table -->"
    assert start in readme and end in readme
    shown = readme.split(start)[1].split(end)[0].strip()
    assert shown == report("reproductions").strip(), "run `make claims-table` after committing results"


def test_update_readme_rewrites_only_the_table(toy_registry, tmp_path):
    from neuroworm.papers.reproduce import README_MARKERS, update_readme

    reproduce("toypaper", "toy", scale="medium", seed=0, seeds=3, out=tmp_path / "results" / "toypaper" / "toy")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_MARKERS[0]}\nold table\n{README_MARKERS[1]}\noutro\n")
    assert update_readme(readme, tmp_path / "results")
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old table" not in text
    assert "big beats small" in text and not update_readme(readme, tmp_path / "results")
    (tmp_path / "bare.md").write_text("no markers")
    with pytest.raises(ConfigError, match="markers"):
        update_readme(tmp_path / "bare.md", tmp_path / "results")


@pytest.mark.parametrize("arguments, message", [
    (("nopaper", "toy"), "unknown paper"),
    (("toypaper", "nothing"), "unknown item"),
    (("toypaper", "missing"), "not implemented"),
])
def test_reproduce_refuses_unknown_or_missing_items(toy_registry, tmp_path, arguments, message):
    with pytest.raises(ConfigError, match=message):
        reproduce(*arguments, out=tmp_path)


@pytest.mark.parametrize("options, message", [
    ({"scale": "huge"}, "scale"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"seeds": 0}, "seeds"), ({"dataset": "mnist"}, "option"),
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


def test_the_pooled_command_keeps_each_seeds_own_options(toy_registry, tmp_path, monkeypatch):
    registry.ITEMS["toypaper"]["toy"] = registry.Item("toypaper", "toy", "neuroworm_toy_reproduction:toy",
                                                      "a toy item", scales=("small", "medium"),
                                                      options=("task",))
    reproduce("toypaper", "toy", scale="medium", seed=0, seeds=2, out=tmp_path)
    pooled = reproduce("toypaper", "toy", scale="medium", seed=2, seeds=2, out=tmp_path, task="Swimmer-v5")
    out = str(tmp_path)
    assert pooled["command"] == (f"neuroworm reproduce toypaper toy --scale medium --seed 0 --seeds 2 --out {out}"
                                 f" && neuroworm reproduce toypaper toy --scale medium --seed 2 --seeds 2 --out {out}"
                                 " --task Swimmer-v5")


def test_a_seed_run_elsewhere_and_copied_in_is_regenerated_into_the_folder(toy_registry, tmp_path):
    reproduce("toypaper", "toy", scale="medium", seed=0, out=tmp_path / "scratch")
    (tmp_path / "kept" / "seeds").mkdir(parents=True)
    for path in (tmp_path / "scratch" / "seeds").iterdir():
        (tmp_path / "kept" / "seeds" / path.name).write_bytes(path.read_bytes())
    pooled = reproduce("toypaper", "toy", scale="medium", seed=1, seeds=2, out=tmp_path / "kept")
    assert pooled["command"] == ("neuroworm reproduce toypaper toy --scale medium --seed 0 --seeds 3 --out "
                                 + str(tmp_path / "kept"))


def test_cli_assemble_pools_the_seed_files_in_the_folder_without_running(tmp_path, monkeypatch, capsys):
    # the committed STDP seeds copied into a fresh folder, pooled again; the item itself must not run
    from pathlib import Path

    from neuroworm.papers import bertens2019

    committed = Path(__file__).resolve().parents[2] / "reproductions" / "bertens2019" / "stdp"
    (tmp_path / "seeds").mkdir()
    for path in (committed / "seeds").glob("stdp.seed*"):
        (tmp_path / "seeds" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(bertens2019, "stdp", lambda **kwargs: pytest.fail("--assemble ran the item"))
    arguments = ["reproduce", "bertens2019", "stdp", "--scale", "medium", "--assemble", "--out", str(tmp_path)]
    assert cli.main(arguments) == 0
    pooled = json.loads((tmp_path / "stdp.json").read_text())
    expected = json.loads((committed / "stdp.json").read_text())
    assert pooled["seeds"] == expected["seeds"] == [0, 1, 2] and "pooled seeds [0, 1, 2]" in capsys.readouterr().out
    assert pooled["ours"] == expected["ours"] and pooled["claims"] == expected["claims"]
    assert (tmp_path / "stdp.png").stat().st_size > 0
    assert cli.main(arguments[:4] + ["small"] + arguments[5:]) == 2
    assert "holds no small-scale seed file" in capsys.readouterr().err
