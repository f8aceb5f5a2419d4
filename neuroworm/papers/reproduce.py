"""One command per figure or table: run a reproduction, pool its seeds, judge its claims, write what it found.

``neuroworm reproduce PAPER ITEM [--scale small|medium|paper] [--seed S] [--seeds N] [--out DIR]``
calls :func:`reproduce`, which runs the item's function (from
:data:`neuroworm.papers.registry.ITEMS`) once per seed S, S+1, ..., S+N-1.
Each run writes its own files, then every seed file in the folder is pooled:

``DIR/seeds/ITEM.seed{S}.{json,csv,png}``
    One seed: the item's ``ours`` and ``paper`` numbers, its ``samples``
    (named numbers measured on held-out data or seeds), its declared
    ``claims``, ``deviations``, ``test_data``, ``selection``, and its table
    and figure. Seeds run by separate commands (``--seed 0``, ``--seed 1``,
    ...) into one folder pool, so a figure that would pass an hour as one
    command is assembled from per-seed commands.
``DIR/ITEM.json``
    The pooled document of ``../shared/REPRODUCTION.md``: ``paper``,
    ``item``, ``claim``, ``paper_value``, ``ours`` (each sample's per-seed
    values, mean, std and 95 % interval), ``verdict`` and ``statistic`` (of
    the first claim), ``claims`` (every claim with its verdict), ``scale``,
    ``seeds``, ``seconds``, ``command``, ``deviations``, ``test_data``,
    ``selection``, ``notes`` and ``details`` (the last seed's ``ours``).
``DIR/ITEM.csv``, ``DIR/ITEM.png``
    The samples per seed, and the figure: the item module's
    ``ITEM_assemble(documents) -> (table, figure)`` where it has one,
    otherwise the last seed's table and figure.

Verdicts come from :mod:`neuroworm.papers.verdict` only. ``medium`` results
are committed under ``reproductions/PAPER/ITEM/`` (the default ``--out`` at
that scale); :func:`report` prints the claims table from them.
"""

import importlib
import json
import math
import shlex
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..validation import check_count, check_positive_int
from . import verdict as verdicts
from .registry import ITEMS, PAPERS

__all__ = ["README_MARKERS", "REPRODUCTIONS", "SCALES", "Reproduction", "assemble", "claims_table", "default_out",
           "get_item", "list_items", "report", "reproduce", "update_readme", "write_seed"]

SCALES = ("small", "medium", "paper")
"""``small``: a smoke run in minutes; ``medium``: tests the claim in <= 60 min a command; ``paper``: the paper's sizes."""

REPRODUCTIONS = Path("reproductions")
"""Where committed medium-scale results live (relative to the repository root)."""


@dataclass(eq=False)
class Reproduction:
    """What an item function returns, for one seed.

    Attributes
    ----------
    paper : dict
        The paper's numbers for this item (JSON-able), e.g.
        ``{"final_return": {"alif": 146.0}}``; written as ``paper_value``.
    ours : dict
        Our numbers, in the same shape where they compare (JSON-able;
        NumPy scalars and arrays are converted); everything a pooled figure
        needs (curves as lists) may go here.
    table : pandas.DataFrame
        Written to ``seeds/ITEM.seed{S}.csv``.
    figure : matplotlib.figure.Figure
        Written to ``seeds/ITEM.seed{S}.png`` (and closed).
    notes : str
        Where we differ from the paper, with the likely cause.
    samples : dict
        ``{name: number}``: this seed's measurements that the claims compare,
        taken on held-out data or seeds.
    claims : list
        :class:`~neuroworm.papers.verdict.Value`, ``Ordering``, ``Threshold``
        or ``Trend`` objects naming samples; judged over the pooled seeds.
    deviations : list of str
        One short sentence per reduction against the paper, and per reading
        the paper leaves open.
    test_data : str
        Which test set or test seeds the samples come from.
    selection : str
        What was chosen on validation data or seeds, and how.
    compute_seconds : float or None
        The seconds this seed's computation took when the item restored some
        of it from its own cache (it knows the cached runs' times); ``None``
        (default): the runner's wall clock for the call, which is the
        computation's time when nothing was cached.
    """

    paper: dict
    ours: dict
    table: object
    figure: object
    notes: str = ""
    samples: dict = field(default_factory=dict)
    claims: list = field(default_factory=list)
    deviations: list = field(default_factory=list)
    test_data: str = ""
    selection: str = ""
    compute_seconds: float | None = None


def get_item(paper, item):
    """The :class:`~neuroworm.papers.registry.Item` registered as ``paper``/``item``.

    Raises
    ------
    ConfigError
        For an unknown paper or item, naming the known ones.
    """
    if paper not in ITEMS:
        raise ConfigError(f"unknown paper {paper!r}; known: {', '.join(ITEMS)}")
    if item not in ITEMS[paper]:
        raise ConfigError(f"unknown item {item!r} of {paper}; known: {', '.join(ITEMS[paper])}")
    return ITEMS[paper][item]


def _load(entry):
    """The function behind ``"module:function"``, or ``(None, why)`` when it is not there (yet)."""
    module_name, function_name = entry.entry_point.split(":")
    if importlib.util.find_spec(module_name) is None:
        return None, "not implemented"
    module = importlib.import_module(module_name)  # an error inside an existing module is a bug: let it show
    function = getattr(module, function_name, None)
    if not callable(function):
        return None, "not implemented"
    return function, "implemented"


def list_items():
    """Every item of every paper and whether it is implemented.

    Returns
    -------
    pandas.DataFrame
        Columns ``paper``, ``item``, ``status`` ("implemented" or "not
        implemented"), ``title``; one row per item.
    """
    import pandas as pd

    rows = []
    for paper, items in ITEMS.items():
        for name, entry in items.items():
            _, status = _load(entry)
            rows.append({"paper": paper, "item": name, "status": status, "title": entry.title})
    return pd.DataFrame(rows, columns=["paper", "item", "status", "title"])


def _jsonable(value):
    """NumPy scalars/arrays, tuples and non-finite floats → plain JSON values (NaN/inf → null)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"reproduction results must be JSON-able; got {type(value).__name__}: {value!r}")


def _seed_files(out, item):
    """``{seed: path}`` of the per-seed JSON files of ``item`` in ``out/seeds``."""
    files = {}
    for path in sorted((Path(out) / "seeds").glob(f"{item}.seed*.json")):
        suffix = path.name[len(item) + len(".seed"):-len(".json")]
        if suffix.isdigit():
            files[int(suffix)] = path
    return files


def write_seed(result, out, paper, item, *, scale, seed, seconds, command):
    """Write one seed's ``seeds/ITEM.seed{S}.{json,csv,png}`` for a :class:`Reproduction`.

    The document's ``seconds`` is the item's ``compute_seconds`` where it gave
    one (runs restored from its cache count with the time they took), else
    ``seconds``, the call's wall clock, which ``wall_seconds`` always records.

    Returns
    -------
    dict
        The per-seed JSON document written.

    Raises
    ------
    ConfigError
        When ``result`` is not a :class:`Reproduction`, a sample is not one
        finite-or-NaN number, ``compute_seconds`` is negative or not finite,
        or a claim names a sample the item did not report.
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, Reproduction):
        raise ConfigError(f"item {item!r} returned {type(result).__name__}, expected a Reproduction")
    wall = float(seconds)
    if result.compute_seconds is not None:
        seconds = float(result.compute_seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ConfigError(f"{paper} {item}: compute_seconds must be a finite number >= 0, "
                              f"got {result.compute_seconds!r}")
    samples = {}
    for name, value in dict(result.samples).items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ConfigError(f"{paper} {item}: sample {name!r} must be one number per seed, got {value!r}")
        samples[str(name)] = float(value)
    verdicts.check_claims(result.claims)
    claims = [verdicts.claim_to_dict(claim) for claim in result.claims]
    for claim in claims:
        named = [claim[key] for key in ("sample", "greater", "lesser") if key in claim] + list(claim.get("samples", ()))
        missing = sorted(set(named) - set(samples))
        if missing:
            raise ConfigError(f"{paper} {item}: claim {claim['text']!r} names samples {missing} the item did not report")
    folder = Path(out) / "seeds"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{item}.seed{int(seed)}"
    result.table.to_csv(f"{stem}.csv", index=False)
    result.figure.savefig(f"{stem}.png", dpi=120, bbox_inches="tight")
    plt.close(result.figure)
    document = {
        "paper": paper, "item": item, "scale": scale, "seed": int(seed),
        "seconds": round(float(seconds), 3), "wall_seconds": round(wall, 3), "command": command,
        "paper_value": _jsonable(result.paper), "ours": _jsonable(result.ours),
        "samples": _jsonable(samples), "claims": claims,
        "deviations": [str(line) for line in result.deviations],
        "test_data": str(result.test_data), "selection": str(result.selection), "notes": result.notes,
    }
    Path(f"{stem}.json").write_text(json.dumps(document, indent=2) + "\n")
    return document


def _pooled_command(paper, item, scale, seeds, out, options):
    """The one command that regenerates every pooled seed (``--seed first --seeds N`` when they are consecutive)."""
    seeds = sorted(seeds)
    command = ["neuroworm", "reproduce", paper, item, "--scale", scale, "--seed", str(seeds[0])]
    if seeds != list(range(seeds[0], seeds[0] + len(seeds))):
        return " && ".join(_pooled_command(paper, item, scale, [s], out, options) for s in seeds)
    if len(seeds) > 1:
        command += ["--seeds", str(len(seeds))]
    command += ["--out", str(out)]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    return shlex.join(command)


def _seed_commands(documents, out):
    """The commands that regenerate the pooled seeds, read from the seed files themselves.

    Seeds whose commands differ only in ``--seed`` share one ``--seed first
    --seeds N`` command per run of consecutive seeds; seeds run with other
    options (``--task Swimmer-v5`` for some seeds only) keep theirs. The
    commands are joined by `` && ``, each writing to ``out`` (a seed run into
    another folder and copied here is regenerated here). ``None`` when a seed
    file has no ``--seed`` in its command.
    """
    groups = {}
    for document in sorted(documents, key=lambda d: d["seed"]):
        tokens = shlex.split(str(document.get("command") or ""))
        if "--seed" not in tokens[:-1]:
            return None
        if "--out" in tokens[:-1]:
            tokens[tokens.index("--out") + 1] = str(out)
        at = tokens.index("--seed")
        key = (tuple(tokens[:at]), tuple(tokens[at + 2:]))
        groups.setdefault(key, []).append(int(document["seed"]))
    commands = []
    for (before, after), seeds in groups.items():
        runs = [[seeds[0]]]
        for current in seeds[1:]:
            if current == runs[-1][-1] + 1:
                runs[-1].append(current)
            else:
                runs.append([current])
        for run in runs:
            middle = ["--seed", str(run[0])] + (["--seeds", str(len(run))] if len(run) > 1 else [])
            commands.append((run[0], shlex.join([*before, *middle, *after])))
    return " && ".join(command for _, command in sorted(commands))


def _add_assembled(pooled, extra, name):
    """Add what an ``ITEM_assemble`` hook found across seeds to the pooled document: ``extra["notes"]`` is
    appended to its notes, every other key becomes a new field (one the document has already is an error)."""
    if not extra:
        return
    extra = dict(extra)
    clash = sorted(set(extra) & set(pooled) - {"notes"})
    if clash:
        raise ConfigError(f"{name}: its assemble hook returned fields the pooled document has already: {clash}")
    notes = str(extra.pop("notes", "") or "")
    if notes:
        pooled["notes"] = f"{pooled['notes']} {notes}".strip()
    pooled.update(_jsonable(extra))


def assemble(out, paper, item, *, scale, options=None):
    """Pool every ``out/seeds/ITEM.seed*.json`` of ``scale`` and write ``ITEM.json``, ``ITEM.csv``, ``ITEM.png``.

    Seed files of another scale in the same folder are left out (and named in
    ``notes``). The claims are those of the newest seed file; verdicts are
    :func:`neuroworm.papers.verdict.judge`'s. The item module's
    ``ITEM_assemble(documents)`` hook, where it has one, returns the pooled
    ``(table, figure)``, or ``(table, figure, extra)`` with ``extra`` a dict of
    what only the pooled seeds show (e.g. a trend across them): its
    ``"notes"`` are appended to the notes, its other keys become fields.

    Returns
    -------
    dict
        The pooled JSON document.

    Raises
    ------
    ConfigError
        When the folder holds no seed file of ``scale`` for the item.
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    out = Path(out)
    documents, other_scales = [], []
    for path in _seed_files(out, item).values():
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ConfigError(f"{path}: not a readable seed file ({error})") from None
        if not isinstance(document, dict) or document.get("item") != item or "samples" not in document:
            raise ConfigError(f"{path}: not a seed file of {paper} {item}")
        (documents if document.get("scale") == scale else other_scales).append(document)
    if not documents:
        raise ConfigError(f"{out / 'seeds'} holds no {scale}-scale seed file of {paper} {item}")
    documents.sort(key=lambda document: document["seed"])
    seeds = [document["seed"] for document in documents]
    names = list(dict.fromkeys(name for document in documents for name in document["samples"]))
    samples = {name: [document["samples"].get(name) for document in documents] for name in names}
    newest = documents[-1]
    claims = [verdicts.claim_from_dict(claim) for claim in newest["claims"]]
    judged = verdicts.judge(claims, samples, scale)
    ours = {name: {"per_seed": dict(zip(map(str, seeds), values)), **verdicts.summarize(values)}
            for name, values in samples.items()}
    deviations = list(dict.fromkeys(line for document in documents for line in document["deviations"]))
    notes = newest["notes"]
    if other_scales:
        notes += f" (seed files of other scales left out: {sorted({d['scale'] for d in other_scales})})"
    pooled = {
        "paper": paper, "item": item,
        "claim": judged[0]["text"] if judged else "",
        "paper_value": newest["paper_value"],
        "ours": _jsonable(ours),
        "verdict": judged[0]["verdict"] if judged else (verdicts.NOT_TESTED if scale == "small" else "no claim"),
        "statistic": _jsonable(judged[0]["statistic"]) if judged else None,
        "claims": _jsonable(judged),
        "scale": scale, "seeds": seeds,
        "seconds": round(sum(document["seconds"] for document in documents), 3),
        "command": _seed_commands(documents, out) or _pooled_command(paper, item, scale, seeds, out, options or {}),
        "deviations": deviations, "test_data": newest["test_data"], "selection": newest["selection"],
        "notes": notes, "details": newest["ours"],
    }
    table = figure = None
    function, _ = _load(get_item(paper, item))
    hook = getattr(importlib.import_module(function.__module__), f"{item}_assemble", None) if function else None
    if callable(hook):
        table, figure, *extra = hook(documents)
        _add_assembled(pooled, extra[0] if extra else None, f"{paper} {item}")
    if table is None:
        table = pd.DataFrame({"seed": seeds, **samples})
    table.to_csv(out / f"{item}.csv", index=False)
    if figure is not None:
        figure.savefig(out / f"{item}.png", dpi=120, bbox_inches="tight")
        plt.close(figure)
    else:
        shutil.copyfile(out / "seeds" / f"{item}.seed{seeds[-1]}.png", out / f"{item}.png")
    (out / f"{item}.json").write_text(json.dumps(pooled, indent=2) + "\n")
    return pooled


def default_out(paper, item, scale):
    """``reproductions/PAPER/ITEM`` at ``medium`` scale (committed), ``runs/reproduce/PAPER/ITEM`` otherwise."""
    return (REPRODUCTIONS if scale == "medium" else Path("runs") / "reproduce") / paper / item


def reproduce(paper, item, scale="small", seed=0, out=None, seeds=1, **options):
    """Run one reproduction for ``seeds`` consecutive seeds, pool every seed file in ``out`` and judge the claims.

    Parameters
    ----------
    paper : str
        A key of :data:`~neuroworm.papers.registry.PAPERS`, e.g. ``"schmidgall2023"``.
    item : str
        E.g. ``"fig3"``; ``neuroworm reproduce --list`` shows them all.
    scale : {"small", "medium", "paper"}
        Must be one of the item's ``scales``.
    seed : int
        The first seed; each seeds everything its run draws (training and
        held-out seeds are derived from it and never overlap).
    out : str or Path, optional
        Folder for the files (created); default :func:`default_out`.
    seeds : int
        How many consecutive seeds to run (``seed``, ``seed + 1``, ...).
    **options
        Item-specific options (those the item's registry entry declares).

    Returns
    -------
    dict
        The pooled JSON document written to ``out/ITEM.json``.

    Raises
    ------
    ConfigError
        Unknown paper, item, scale or option, a scale the item does not
        offer, a negative seed, or an item that is not implemented yet;
        nothing is written then.
    """
    entry = get_item(paper, item)
    if scale not in SCALES:
        raise ConfigError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if scale not in entry.scales:
        raise ConfigError(f"{paper} {item} has no {scale} scale yet; it has: {', '.join(entry.scales)}")
    seed = check_count("seed", seed)
    seeds = check_positive_int("seeds", seeds)
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        raise ConfigError(f"{paper} {item} takes no option {', '.join(unknown)}; it takes: "
                          f"{', '.join(entry.options) or 'none'}")
    function, status = _load(entry)
    if function is None:
        raise ConfigError(f"{paper} {item} is {status} yet ({entry.title}); see `neuroworm reproduce --list`")
    out = Path(out) if out is not None else default_out(paper, item, scale)
    for current in range(seed, seed + seeds):
        command = _pooled_command(paper, item, scale, [current], out, options)
        start = time.perf_counter()
        result = function(scale=scale, seed=current, out=out, **options)
        write_seed(result, out, paper, item, scale=scale, seed=current, seconds=time.perf_counter() - start,
                   command=command)
    return assemble(out, paper, item, scale=scale, options=options)


def _short(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _claim_numbers(claim, ours):
    """(paper's number, ours) of one judged claim, as short text."""
    def mean_std(name):
        summary = ours.get(name, {})
        if summary.get("mean") is None:
            return "-"
        spread = f" ± {_short(summary['std'])}" if summary.get("std") is not None else ""
        return f"{_short(summary['mean'])}{spread} (n={summary['n']})"

    kind = claim["kind"]
    if kind == "value":
        paper = _short(claim["paper"]) + (f" ± {_short(claim['paper_std'])}" if claim.get("paper_std") else "")
        return paper, mean_std(claim["sample"])
    if kind == "ordering":
        return (f"{claim['greater']} > {claim['lesser']}",
                f"{mean_std(claim['greater'])} vs {mean_std(claim['lesser'])}")
    if kind == "threshold":
        sign = ">" if claim["direction"] == "above" else "<"
        return f"{sign} {_short(claim['target'])}", mean_std(claim["sample"])
    statistic = claim.get("statistic") or {}
    return (claim["direction"], f"rho {_short(statistic.get('rho'))}, p {_short(statistic.get('p'))}")


def claims_table(root=REPRODUCTIONS):
    """Every judged claim of the pooled ``ITEM.json`` files under ``root`` (``root/PAPER/ITEM/ITEM.json``).

    Returns
    -------
    pandas.DataFrame
        Columns ``paper``, ``item`` (the result's folder, which tells an item's
        variants apart, e.g. ``fig2-fashion-mnist``, with its scale where that
        is not ``medium``), ``claim``, ``paper_value``, ``ours``,
        ``verdict``, ``seeds``, ``command``; one row per claim, ordered by
        paper and item.
    """
    import pandas as pd

    rows = []
    for path in sorted(Path(root).glob("*/*/*.json")):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ConfigError(f"{path}: not a readable reproduction ({error})") from None
        if not isinstance(document, dict) or "claims" not in document or path.stem != document.get("item"):
            continue
        for claim in document["claims"]:
            paper_value, ours = _claim_numbers(claim, document["ours"])
            verdict = claim["verdict"]
            needed = (claim.get("statistic") or {}).get("seeds_needed")
            if needed is not None and needed > verdicts.MAX_SEEDS_NEEDED:  # files judged before the cap
                needed = None
            if verdict == "inconclusive" and needed:
                verdict += f" (~{needed} seeds needed)"
            item = path.parent.name  # the folder tells variants apart: fig2, fig2-fashion-mnist, ...
            if document.get("scale", "medium") != "medium":
                item += f" ({document['scale']} scale)"
            rows.append({"paper": document["paper"], "item": item, "claim": claim["text"],
                         "paper_value": paper_value, "ours": ours, "verdict": verdict,
                         "seeds": len(document["seeds"]), "command": document["command"]})
    return pd.DataFrame(rows, columns=["paper", "item", "claim", "paper_value", "ours", "verdict", "seeds",
                                       "command"])


README_MARKERS = ("<!-- claims table: neuroworm reproduce --report -->", "<!-- end of claims table -->")
"""The two lines between which README.md holds :func:`report`'s output."""


def update_readme(readme="README.md", root=REPRODUCTIONS):
    """Replace the claims table between :data:`README_MARKERS` in ``readme`` with :func:`report` of ``root``.

    Returns
    -------
    bool
        Whether the file changed.

    Raises
    ------
    ConfigError
        When the file lacks either marker.
    """
    path = Path(readme)
    text = path.read_text()
    start, end = README_MARKERS
    if start not in text or end not in text:
        raise ConfigError(f"{path}: no claims-table markers ({start} ... {end})")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    updated = f"{head}{start}\n{report(root)}\n{end}{tail}"
    if updated != text:
        path.write_text(updated)
    return updated != text


def report(root=REPRODUCTIONS):
    """The claims table of :func:`claims_table` as Markdown (what ``neuroworm reproduce --report`` prints)."""
    table = claims_table(root)
    if table.empty:
        return f"No reproduction results under {root} yet (run an item with --scale medium)."
    lines = ["| paper | item | claim | paper | ours | verdict | seeds |", "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        cells = [row.paper, row.item, row.claim, row.paper_value, row.ours, row.verdict, str(row.seeds)]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    commands = list(dict.fromkeys(table["command"]))
    lines += ["", "Regenerate with:", ""] + [f"    {command}" for command in commands]
    return "\n".join(lines)


def describe_papers():
    """``{paper id: citation}`` of every paper ``neuroworm reproduce`` knows."""
    return dict(PAPERS)
