"""Figs. 3 and 4 of Schmidgall et al. (2023) run end to end at a toy size and write the contract's files."""

import json

import pytest

pytestmark = [pytest.mark.mujoco, pytest.mark.slow]

TOY = {"seeds": 1, "es_epochs": 1, "es_population": 4, "ga_generations": 2, "ga_population": 4, "elites": 1,
       "episode_steps": 30, "heldout_episodes": 2, "test_episodes": 2}


def test_fig4_writes_held_out_numbers_for_three_networks(tmp_path):
    from neuroworm.papers import schmidgall2023

    reproduction = schmidgall2023.fig4(scale="small", seed=0, out=tmp_path, **TOY)
    returns = reproduction.ours["returns"]
    assert set(returns) == {"statistics", "mlp_full", "mlp_sparse"}
    for network in returns.values():
        assert network["final_test_return"]["n"] == 1 and network["final_test_return"]["mean"] is not None
    ga = reproduction.table[reproduction.table["stage"] == "ga"]
    assert len(ga) == 3 * TOY["ga_generations"] and ga["heldout_mean"].notna().all()
    json.dumps(reproduction.ours)  # JSON-able, no NaN objects


def test_fig3_through_the_runner(tmp_path, monkeypatch):
    from neuroworm.papers import schmidgall2023
    from neuroworm.papers.reproduce import reproduce

    monkeypatch.setitem(schmidgall2023.SCALE_SIZES, "small", dict(schmidgall2023.SCALE_SIZES["small"], **TOY))
    reproduce("schmidgall2023", "fig3", scale="small", seed=0, out=tmp_path)
    written = json.loads((tmp_path / "fig3.json").read_text())
    assert {"paper", "ours", "scale", "seeds", "seconds", "command", "claims", "verdict"} <= set(written)
    assert (tmp_path / "fig3.png").exists() and (tmp_path / "fig3.csv").exists()
    by_task = written["details"]["returns_by_task"]
    assert set(by_task) == {"neuroworm/Swimmer6-v0", "Swimmer-v5"}
    assert all(set(models) == {"alif", "izhikevich", "relu"} for models in by_task.values())
