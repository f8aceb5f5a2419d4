"""The verdict rule of REPRODUCTION.md, checked on numbers whose answer is known by hand."""

import math

import pytest
from scipy import stats

from neuroworm.errors import ConfigError
from neuroworm.papers.verdict import (
    NOT_TESTED,
    Ordering,
    Threshold,
    Trend,
    Value,
    claim_from_dict,
    claim_to_dict,
    judge,
    seeds_needed,
    summarize,
)


def _one(claim, samples, scale="medium"):
    return judge([claim], samples, scale)[0]


def test_value_overlap_above_and_below():
    claim = Value("x", sample="a", paper=100.0, paper_std=5.0)  # band [90, 110]
    assert _one(claim, {"a": [104, 108, 112]})["verdict"] == "reproduced"
    assert _one(claim, {"a": [130, 131, 132]})["verdict"] == "above"
    assert _one(claim, {"a": [50, 51, 52]})["verdict"] == "below"
    judged = _one(claim, {"a": [104, 108, 112]})
    assert judged["statistic"]["paper_band"] == [90.0, 110.0]
    half = stats.t.ppf(0.975, 2) * 4.0 / math.sqrt(3)
    assert judged["statistic"]["ci95"] == pytest.approx([108 - half, 108 + half])


def test_value_without_a_published_spread_uses_five_percent():
    claim = Value("x", sample="a", paper=100.0)  # band [90, 110] from s = 5
    assert _one(claim, {"a": [111.0, 111.5, 112.0]})["verdict"] == "above"
    assert _one(claim, {"a": [109.0, 109.5, 110.0]})["verdict"] == "reproduced"


def test_ordering_reproduced_contradicted_and_inconclusive_with_seeds_needed():
    claim = Ordering("a > b", greater="a", lesser="b")
    assert _one(claim, {"a": [10, 11, 12], "b": [1, 2, 3]})["verdict"] == "reproduced"
    assert _one(claim, {"a": [1, 2, 3], "b": [10, 11, 12]})["verdict"] == "contradicted"
    judged = _one(claim, {"a": [1.0, 2.0, 3.0], "b": [0.8, 1.9, 2.9]})
    assert judged["verdict"] == "inconclusive"
    assert judged["statistic"]["seeds_needed"] > 3
    expected = stats.ttest_ind([10, 11, 12], [1, 2, 3], equal_var=False, alternative="greater").pvalue
    assert _one(claim, {"a": [10, 11, 12], "b": [1, 2, 3]})["statistic"]["p_greater"] == pytest.approx(expected)


def test_too_few_seeds_or_no_data_is_not_a_verdict():
    claim = Ordering("a > b", greater="a", lesser="b")
    assert _one(claim, {"a": [3.0], "b": [1.0]})["verdict"] == "not tested (too few seeds)"
    assert _one(claim, {"a": [3.0, 4.0]})["verdict"] == "not tested (no data)"


def test_threshold_both_directions():
    above = Threshold("f1 >= 0.8", sample="f1", target=0.8)
    assert _one(above, {"f1": [0.9, 0.92, 0.95]})["verdict"] == "reproduced"
    assert _one(above, {"f1": [0.3, 0.35, 0.4]})["verdict"] == "contradicted"
    below = Threshold("loss <= 0.1", sample="loss", target=0.1, direction="below")
    assert _one(below, {"loss": [0.01, 0.02, 0.03]})["verdict"] == "reproduced"


def test_trend_by_spearman():
    falls = Trend("falls", x=(0, 0.5, 1), samples=("r0", "r5", "r10"))
    down = {"r0": [0.9, 0.91, 0.92], "r5": [0.8, 0.81, 0.82], "r10": [0.7, 0.71, 0.72]}
    up = {"r0": [0.7, 0.71, 0.72], "r5": [0.8, 0.81, 0.82], "r10": [0.9, 0.91, 0.92]}
    flat = {"r0": [0.8, 0.9, 0.7], "r5": [0.9, 0.7, 0.8], "r10": [0.7, 0.8, 0.9]}
    assert _one(falls, down)["verdict"] == "reproduced"
    assert _one(falls, up)["verdict"] == "contradicted"
    assert _one(falls, flat)["verdict"] == "inconclusive"
    assert _one(falls, down)["statistic"]["rho"] < -0.9


def test_small_scale_is_never_a_verdict():
    claim = Ordering("a > b", greater="a", lesser="b")
    assert _one(claim, {"a": [10, 11, 12], "b": [1, 2, 3]}, scale="small")["verdict"] == NOT_TESTED


def test_claims_round_trip_through_json_dicts_and_bad_ones_are_refused():
    for claim in (Value("v", "a", 1.0, 0.1), Ordering("o", "a", "b"), Threshold("t", "a", 0.5, "below"),
                  Trend("tr", (0, 1), ("a", "b"), "increasing")):
        assert claim_from_dict(claim_to_dict(claim)) == claim
    with pytest.raises(ConfigError, match="kind"):
        claim_from_dict({"kind": "vibes", "text": "x"})
    with pytest.raises(ConfigError, match="direction"):
        judge([Threshold("t", "a", 0.5, "sideways")], {"a": [1.0, 2.0]}, "medium")
    with pytest.raises(ConfigError, match="as many x"):
        judge([Trend("tr", (0, 1, 2), ("a", "b"))], {}, "medium")


def test_summary_and_seeds_needed():
    summary = summarize([1.0, 2.0, 3.0, float("nan")])
    assert summary["n"] == 3 and summary["mean"] == 2.0 and summary["std"] == 1.0
    assert seeds_needed(1.0) == 13 and seeds_needed(0.0) is None  # 2 (1.645 + 0.842)^2 = 12.4
    assert seeds_needed(1e-14) is None  # an effect of ~0 needs no practical number of seeds, not 1e28
