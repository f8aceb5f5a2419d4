"""Figs. 3 and 4 of Schmidgall et al. (2023) run end to end at a toy size and write the contract's files."""

import json

import numpy as np
import pytest

pytestmark = [pytest.mark.mujoco, pytest.mark.slow]

TOY = {"es_epochs": 4, "es_population": 4, "es_patience": 1, "heldout_every": 1, "ga_generations": 2,
       "ga_population": 4, "elites": 1, "episode_steps": 30, "heldout_episodes": 2, "test_episodes": 2}


def test_fig4_one_seed_gives_held_out_samples_for_three_networks_and_caches_them(tmp_path):
    from neuroworm.papers import schmidgall2023

    reproduction = schmidgall2023.fig4(scale="small", seed=0, work=tmp_path, **TOY)
    names = {"statistics", "mlp_full", "mlp_sparse"}
    assert set(reproduction.samples) == names | {f"{name}_pretrained" for name in names}
    assert all(np.isfinite(value) for value in reproduction.samples.values())
    claimed = {name for claim in reproduction.claims for name in vars(claim).values() if isinstance(name, str)}
    assert names <= claimed  # every final sample is judged
    runs = {run["network"]: run for run in reproduction.ours["runs"]}
    assert set(runs) == names
    assert all(1 <= run["es_epochs"] <= TOY["es_epochs"] for run in runs.values())  # stopped by validation
    ga = reproduction.table[reproduction.table["stage"] == "ga"]
    assert len(ga) == 3 * TOY["ga_generations"] and ga["heldout_mean"].notna().all()
    json.dumps(reproduction.ours)  # JSON-able, no NaN objects
    again = schmidgall2023.fig4(scale="small", seed=0, work=tmp_path, **TOY)  # read back from the cache
    assert again.samples == reproduction.samples
    assert again.compute_seconds == reproduction.compute_seconds > 0


def test_fig4_seeds_pool_into_verdicts_and_an_assembled_figure(tmp_path, monkeypatch):
    from neuroworm.papers import schmidgall2023
    from neuroworm.papers.reproduce import reproduce

    monkeypatch.chdir(tmp_path)  # the runs' work folder, runs/..., lands here
    monkeypatch.setitem(schmidgall2023.SCALE_SIZES, "medium", dict(schmidgall2023.SCALE_SIZES["medium"], **TOY))
    reproduce("schmidgall2023", "fig4", scale="medium", seed=0, seeds=2, out=tmp_path / "out")
    written = json.loads((tmp_path / "out" / "fig4.json").read_text())
    assert written["seeds"] == [0, 1]
    assert all(claim["verdict"] != "not tested at this scale" for claim in written["claims"])
    assert len(written["ours"]["statistics"]["per_seed"]) == 2
    assert (tmp_path / "out" / "fig4.png").exists() and (tmp_path / "runs" / "schmidgall2023" / "fig4").is_dir()
    table, figure = schmidgall2023.fig4_assemble(
        [json.loads(path.read_text()) for path in sorted((tmp_path / "out" / "seeds").glob("fig4.seed*.json"))])
    assert len(table) == 6 and len(figure.axes) == 2


def test_fig3_through_the_runner(tmp_path, monkeypatch):
    from neuroworm.papers import schmidgall2023
    from neuroworm.papers.reproduce import reproduce

    monkeypatch.setitem(schmidgall2023.SCALE_SIZES, "small", dict(schmidgall2023.SCALE_SIZES["small"], **TOY))
    reproduce("schmidgall2023", "fig3", scale="small", seed=0, out=tmp_path)
    written = json.loads((tmp_path / "fig3.json").read_text())
    assert {"paper", "ours", "scale", "seeds", "seconds", "command", "claims", "verdict"} <= set(written)
    assert (tmp_path / "fig3.png").exists() and (tmp_path / "fig3.csv").exists()
    assert {claim["verdict"] for claim in written["claims"]} == {"not tested at this scale"}
    for body in ("swimmer6", "swimmer3"):
        for model in ("izhikevich", "alif", "relu"):
            assert f"{body}_{model}_pretrained" in written["ours"] and f"{body}_{model}" in written["ours"]
        assert written["ours"][f"{body}_final_range"]["mean"] >= 0


def test_fig3_runs_one_body_when_asked_and_a_later_call_reuses_it(tmp_path):
    from neuroworm.errors import ConfigError
    from neuroworm.papers import schmidgall2023

    one = schmidgall2023.fig3(scale="small", seed=0, work=tmp_path, task="Swimmer-v5", **TOY)
    measured = {name for name, value in one.samples.items() if np.isfinite(value)}
    assert {name.split("_")[0] for name in measured} == {"swimmer3"}  # the 6-link body's samples are NaN: not run
    assert set(one.samples) - measured and {name.split("_")[0] for name in one.samples} == {"swimmer3", "swimmer6"}
    assert {claim.text.split(":")[0] for claim in one.claims} == {"Swimmer-v5", "neuroworm/Swimmer6-v0"}
    both = schmidgall2023.fig3(scale="small", seed=0, work=tmp_path, **TOY)
    assert all(both.samples[name] == one.samples[name] for name in measured)
    assert all(np.isfinite(value) for value in both.samples.values())
    assert both.compute_seconds > one.compute_seconds > 0  # the cached body's run time counts, not its reading
    with pytest.raises(ConfigError, match="task"):
        schmidgall2023.fig3(scale="small", task="HalfCheetah-v5")


def test_fig3_seeds_run_body_by_body_pool_each_body_over_its_own_seeds(tmp_path, monkeypatch):
    from neuroworm.papers import schmidgall2023
    from neuroworm.papers.reproduce import reproduce

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(schmidgall2023.SCALE_SIZES, "small", dict(schmidgall2023.SCALE_SIZES["small"], **TOY))
    reproduce("schmidgall2023", "fig3", scale="small", seed=0, out=tmp_path / "out")
    pooled = reproduce("schmidgall2023", "fig3", scale="small", seed=1, out=tmp_path / "out", task="Swimmer-v5")
    assert pooled["seeds"] == [0, 1]
    assert pooled["ours"]["swimmer3_relu"]["n"] == 2 and pooled["ours"]["swimmer6_relu"]["n"] == 1
    assert {claim["text"].split(":")[0] for claim in pooled["claims"]} == {"Swimmer-v5", "neuroworm/Swimmer6-v0"}
