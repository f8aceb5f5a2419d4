"""The verdict rule of ``REPRODUCTION.md``, computed in one place.

An item declares its claims as data (:class:`Value`, :class:`Ordering`,
:class:`Threshold`, :class:`Trend`) and reports per-seed *samples* (a name and
one number per seed, measured on held-out data or seeds).
:func:`judge` turns the two into verdicts; nothing else in neuroworm writes a
verdict. The rules, fixed before any item runs:

- **Value** (the paper reports X ± s, or X): *reproduced* if the 95 % t
  interval of our mean over seeds overlaps [X − 2s, X + 2s] (s = 5 % of |X|
  where the paper gives no spread); *above* or *below* otherwise.
- **Ordering** (A > B): one-sided Welch t-test over seeds; *reproduced* if
  p < 0.05 in the paper's direction, *contradicted* if p < 0.05 the other way,
  *inconclusive* otherwise, with the seeds per arm that 80 % power would need
  at the observed effect size.
- **Threshold** (A ≥ target, or ≤): one-sample one-sided t-test of the mean
  against the target; *reproduced* / *contradicted* / *inconclusive* as for an
  ordering.
- **Trend** (a curve falls or rises): Spearman ρ over the pooled (x, value)
  pairs of every seed, with its two-sided p; *reproduced* if p < 0.05 with the
  paper's sign, *contradicted* if p < 0.05 with the other, else
  *inconclusive*.
- At ``small`` scale every verdict is ``"not tested at this scale"``; a claim
  whose samples are missing (or have fewer than two seeds where a spread is
  needed) is ``"not tested (too few seeds)"`` or ``"not tested (no data)"``.
"""

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import ConfigError

__all__ = ["ALPHA", "MAX_SEEDS_NEEDED", "NOT_TESTED", "Ordering", "Threshold", "Trend", "Value", "check_claims",
           "claim_from_dict", "claim_to_dict", "judge", "seeds_needed", "summarize"]

ALPHA = 0.05
"""Significance level of every test."""

NOT_TESTED = "not tested at this scale"
"""The verdict of every claim at ``small`` scale."""

MAX_SEEDS_NEEDED = 10_000
"""Above this many seeds per arm :func:`seeds_needed` says ``None``: the observed effect is as good as zero."""

_POWER_Z = 0.8416212335729143
"""z of 80 % power (one-sided), for :func:`seeds_needed`."""


@dataclass(frozen=True)
class Value:
    """The paper reports a number: ``paper`` (± ``paper_std``) for sample ``sample``."""

    text: str
    sample: str
    paper: float
    paper_std: float = None
    kind: str = field(default="value", init=False)


@dataclass(frozen=True)
class Ordering:
    """The paper claims sample ``greater`` > sample ``lesser``."""

    text: str
    greater: str
    lesser: str
    kind: str = field(default="ordering", init=False)


@dataclass(frozen=True)
class Threshold:
    """A target: the mean of ``sample`` is above (``direction="above"``) or below ``target``."""

    text: str
    sample: str
    target: float
    direction: str = "above"
    kind: str = field(default="threshold", init=False)


@dataclass(frozen=True)
class Trend:
    """A monotone shape: ``samples[i]`` measured at ``x[i]`` falls (``"decreasing"``) or rises (``"increasing"``)."""

    text: str
    x: tuple
    samples: tuple
    direction: str = "decreasing"
    kind: str = field(default="trend", init=False)


_KINDS = {"value": Value, "ordering": Ordering, "threshold": Threshold, "trend": Trend}


def claim_to_dict(claim):
    """A claim as a JSON-able dict (``kind`` names its class)."""
    document = asdict(claim)
    for key in ("x", "samples"):
        if key in document:
            document[key] = list(document[key])
    return document


def claim_from_dict(document):
    """The claim a :func:`claim_to_dict` dict describes.

    Raises
    ------
    ConfigError
        For an unknown ``kind`` or missing fields.
    """
    if not isinstance(document, dict) or document.get("kind") not in _KINDS:
        raise ConfigError(f"a claim needs a kind among {', '.join(_KINDS)}; got {document!r}")
    fields = {key: value for key, value in document.items() if key != "kind"}
    for key in ("x", "samples"):
        if key in fields:
            fields[key] = tuple(fields[key])
    try:
        return _KINDS[document["kind"]](**fields)
    except TypeError as error:
        raise ConfigError(f"claim {document!r} does not fit {document['kind']}: {error}") from None


def check_claims(claims):
    """Refuse anything but well-formed claims (a ``ConfigError`` naming the first bad one)."""
    for claim in claims:
        _check(claim)


def _check(claim):
    if not isinstance(claim, tuple(_KINDS.values())):
        raise ConfigError(f"a claim must be a Value, Ordering, Threshold or Trend; got {type(claim).__name__}")
    if isinstance(claim, Threshold) and claim.direction not in ("above", "below"):
        raise ConfigError(f"Threshold direction must be 'above' or 'below', got {claim.direction!r}")
    if isinstance(claim, Trend):
        if claim.direction not in ("decreasing", "increasing"):
            raise ConfigError(f"Trend direction must be 'decreasing' or 'increasing', got {claim.direction!r}")
        if len(claim.x) != len(claim.samples) or len(claim.x) < 2:
            raise ConfigError(f"Trend {claim.text!r} needs as many x as samples, at least two")


def summarize(values):
    """Mean, sample std, n and the 95 % t interval of per-seed values (NaNs dropped)."""
    from scipy import stats

    values = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = int(values.size)
    if n == 0:
        return {"n": 0, "mean": None, "std": None, "ci95": None}
    mean = float(values.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "std": None, "ci95": None}
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n))
    return {"n": n, "mean": mean, "std": std, "ci95": [mean - half, mean + half]}


def seeds_needed(effect_size):
    """Seeds per arm for 80 % power of a one-sided test at level 0.05, at Cohen's d ``effect_size``.

    ``2 (z_0.95 + z_0.80)^2 / d^2`` (normal approximation, rounded up, at least 2); ``None`` where no
    practical number of seeds would do (d = 0, or more than :data:`MAX_SEEDS_NEEDED`).
    """
    from scipy import stats

    if effect_size is None or not math.isfinite(effect_size) or effect_size == 0:
        return None
    z = stats.norm.ppf(1 - ALPHA) + _POWER_Z
    needed = 2 * z ** 2 / effect_size ** 2
    return max(2, math.ceil(needed)) if needed <= MAX_SEEDS_NEEDED else None


def _tested(p_forward, p_backward):
    if p_forward < ALPHA:
        return "reproduced"
    if p_backward < ALPHA:
        return "contradicted"
    return "inconclusive"


def _value(claim, samples):
    summary = summarize(samples.get(claim.sample, []))
    spread = claim.paper_std if claim.paper_std is not None else 0.05 * abs(claim.paper)
    band = [claim.paper - 2 * spread, claim.paper + 2 * spread]
    statistic = {"name": "95% t interval of the mean against the paper's X +- 2s", "paper_band": band, **summary}
    if summary["n"] == 0:
        return "not tested (no data)", statistic
    if summary["ci95"] is None:
        return "not tested (too few seeds)", statistic
    low, high = summary["ci95"]
    if high >= band[0] and low <= band[1]:
        return "reproduced", statistic
    return ("above" if low > band[1] else "below"), statistic


def _ordering(claim, samples):
    from scipy import stats

    a = summarize(samples.get(claim.greater, []))
    b = summarize(samples.get(claim.lesser, []))
    statistic = {"name": "one-sided Welch t-test", claim.greater: a, claim.lesser: b}
    if a["n"] == 0 or b["n"] == 0:
        return "not tested (no data)", statistic
    if a["n"] < 2 or b["n"] < 2:
        return "not tested (too few seeds)", statistic
    x = np.asarray([v for v in samples[claim.greater] if v is not None and math.isfinite(v)], float)
    y = np.asarray([v for v in samples[claim.lesser] if v is not None and math.isfinite(v)], float)
    if a["std"] == 0 and b["std"] == 0:  # no spread at all: the sign of the difference is the answer
        difference = a["mean"] - b["mean"]
        p_forward, p_backward = (0.0, 1.0) if difference > 0 else (1.0, 0.0) if difference < 0 else (1.0, 1.0)
        t = math.copysign(math.inf, difference) if difference else 0.0
    else:
        t, p_forward = stats.ttest_ind(x, y, equal_var=False, alternative="greater")
        p_backward = 1.0 - p_forward
    pooled = math.sqrt(((a["std"] or 0.0) ** 2 + (b["std"] or 0.0) ** 2) / 2)
    effect = (a["mean"] - b["mean"]) / pooled if pooled > 0 else None
    verdict = _tested(p_forward, p_backward)
    statistic.update(t=float(t), p_greater=float(p_forward), p_less=float(p_backward), effect_size=effect)
    if verdict == "inconclusive":
        statistic["seeds_needed"] = seeds_needed(effect)
    return verdict, statistic


def _threshold(claim, samples):
    from scipy import stats

    summary = summarize(samples.get(claim.sample, []))
    statistic = {"name": "one-sample one-sided t-test against the target", "target": claim.target, **summary}
    if summary["n"] == 0:
        return "not tested (no data)", statistic
    if summary["n"] < 2:
        return "not tested (too few seeds)", statistic
    x = np.asarray([v for v in samples[claim.sample] if v is not None and math.isfinite(v)], float)
    if summary["std"] == 0:
        p_above = 0.0 if summary["mean"] > claim.target else 1.0
        p_below = 0.0 if summary["mean"] < claim.target else 1.0
    else:
        p_above = float(stats.ttest_1samp(x, claim.target, alternative="greater").pvalue)
        p_below = 1.0 - p_above
    forward, backward = (p_above, p_below) if claim.direction == "above" else (p_below, p_above)
    verdict = _tested(forward, backward)
    effect = (summary["mean"] - claim.target) / summary["std"] if summary["std"] else None
    statistic.update(p_above=p_above, p_below=p_below, effect_size=effect)
    if verdict == "inconclusive":
        needed = seeds_needed(effect)
        statistic["seeds_needed"] = None if needed is None else max(2, math.ceil(needed / 2))
    return verdict, statistic


def _trend(claim, samples):
    from scipy import stats

    xs, ys = [], []
    for x, name in zip(claim.x, claim.samples):
        for value in samples.get(name, []):
            if value is not None and math.isfinite(value):
                xs.append(float(x))
                ys.append(float(value))
    statistic = {"name": "Spearman rho over pooled (x, value) pairs", "pairs": len(xs)}
    if len(set(xs)) < 2 or len(xs) < 3:
        return "not tested (no data)", statistic
    rho, p = stats.spearmanr(xs, ys)
    rho, p = float(rho), float(p)
    statistic.update(rho=rho, p=p)
    if not math.isfinite(rho):
        return "inconclusive", statistic
    expected = -1 if claim.direction == "decreasing" else 1
    if p < ALPHA:
        return ("reproduced" if rho * expected > 0 else "contradicted"), statistic
    return "inconclusive", statistic


_RULES = {Value: _value, Ordering: _ordering, Threshold: _threshold, Trend: _trend}


def judge(claims, samples, scale):
    """The verdict of every claim.

    Parameters
    ----------
    claims : sequence of Value, Ordering, Threshold or Trend
    samples : dict
        ``{sample name: [one value per seed]}``.
    scale : str
        At ``"small"`` every verdict is :data:`NOT_TESTED` (the statistic is still computed).

    Returns
    -------
    list of dict
        Per claim: its fields (``kind``, ``text``, ...), ``verdict`` and ``statistic``.
    """
    judged = []
    for claim in claims:
        _check(claim)
        verdict, statistic = _RULES[type(claim)](claim, samples)
        if scale == "small":
            verdict = NOT_TESTED
        judged.append({**claim_to_dict(claim), "verdict": verdict, "statistic": statistic})
    return judged
