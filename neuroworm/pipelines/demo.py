"""``make demo``'s swimming worm: the bundled pre-trained worm, evolved a little more, and how it swims.

:func:`swimming_demo` starts from a worm that neuroworm pre-trained itself
(``models/alif_swimmer_v5.npz``, made by the ES-then-GA pipeline of
``neuroworm reproduce schmidgall2023 fig3``, see ``models/README.md``), scores it on held-out test seeds, evolves it for a few
generations with the elite GA of Schmidgall et al. (2023, A.3.1) -- fitness
averaged over ``m`` training seeds -- and scores the result again on the same
held-out seeds. It writes what a reader looks at: the returns before and
after (``demo.json``), the gait (frequency, amplitude per joint, phase lag
between neighbouring joints, travelling wave or not), a kymograph of the
joint angles, the head's trajectory, a spike raster, the fitness curve and a
video of the swim.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["BUNDLED_WORMS", "bundled_worm", "swimming_demo"]

BUNDLED_WORMS = {
    "Swimmer-v5": "alif_swimmer_v5.npz",
    "neuroworm/Swimmer6-v0": "alif_swimmer6.npz",
}
"""Pre-trained ALIF locomotion circuits in ``models/``, by task (``models/README.md`` has their commands)."""


def bundled_worm(task="Swimmer-v5"):
    """Path of the bundled pre-trained worm for ``task``.

    Raises
    ------
    ConfigError
        No worm is bundled for the task, or its file is missing.
    """
    from ..resources import bundled_path

    if task not in BUNDLED_WORMS:
        raise ConfigError(f"no bundled worm for task {task!r}; bundled: {sorted(BUNDLED_WORMS)}")
    path = bundled_path("models", BUNDLED_WORMS[task])
    if not Path(path).is_file():
        raise ConfigError(f"the bundled worm {path} is missing; make it with `neuroworm pretrain` (models/README.md)")
    return Path(path)


def _log(message, stream):
    if stream is not None:
        print(message, file=stream, flush=True)


def _evolution_line(before, after, generations, population, genes_changed, genes):
    """What the evolution step did, in one honest sentence (an unchanged parent is said to be one)."""
    if genes_changed == 0:
        return (f"held-out return {before.mean:.1f} ± {before.std:.1f}: the GA kept the starting worm unchanged "
                f"(no mutant in {generations} generations of {population} worms beat its training fitness), "
                "so 'after' is the same worm")
    return (f"held-out return {before.mean:.1f} ± {before.std:.1f} before, {after.mean:.1f} ± {after.std:.1f} after "
            f"{generations} generations ({genes_changed} of {genes} genes changed)")


def swimming_demo(out, *, worm=None, generations=4, population=32, episodes=2, test_episodes=16, episode_steps=None,
                  seed=1, progress=True, log="stdout"):
    """Evaluate the bundled worm, evolve it briefly, evaluate again, and draw its swim.

    Parameters
    ----------
    out : str or pathlib.Path
        Folder for ``demo.json``, ``worm.npz``, ``evolution/`` (checkpoint,
        logbook), ``kymograph.png``, ``trajectory.png``, ``raster.png``,
        ``fitness.png`` and ``swim.gif``.
    worm : str or pathlib.Path, optional
        A worm file (:func:`neuroworm.pipelines.pretraining.save_worm`);
        default the bundled ALIF worm on Swimmer-v5.
    generations, population : int
        Elite-GA generations and individuals (the paper: 750 individuals).
    episodes : int
        m, training episodes per individual.
    test_episodes : int
        Held-out episodes (test seeds, never trained on) before and after.
    episode_steps : int, optional
        Length of every episode; default the worm's (1000).
    seed : int
        Seed of the evolution.
    progress : bool
        Show a progress bar.
    log : file-like, "stdout" or None
        Where to print the summary (``"stdout"``: the current ``sys.stdout``).

    Returns
    -------
    dict
        What ``demo.json`` holds: ``before`` and ``after`` (held-out
        returns, mean, std, gait), ``generations``, ``population``,
        ``genes_changed`` (0 when the GA kept the starting worm: the
        printed line then says so), ``genes``, ``seconds``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from .. import plot
    from ..analysis import evaluate_genome
    from ..analysis.video import render_video
    from ..evolve import EliteGA, run
    from .pretraining import MultiEpisodeFitness, load_worm, save_worm

    started = time.perf_counter()
    if log == "stdout":
        log = sys.stdout
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    source = Path(worm) if worm is not None else bundled_worm()
    genome, settings, circuit, layout = load_worm(source)
    _log(f"\nThe pre-trained worm {source} ({settings.model} locomotion circuit, {settings.task}):", log)
    steps = int(episode_steps or settings.episode_steps)
    before = evaluate_genome(source, episodes=test_episodes, episode_steps=steps, record_cells=())
    _log(before.summary(), log)

    from .pretraining import _evaluator

    evaluator = _evaluator(settings, circuit, layout, steps)
    fitness = MultiEpisodeFitness(evaluator, episodes)
    ga = EliteGA(genome, population_size=population, n_elites=min(settings.ga_elites, population - 1),
                 groups=layout.mutation_groups(), mutation_rate=settings.ga_mutation_rate,
                 mutation_decay=settings.ga_mutation_decay, seed=seed)
    _log(f"\nEvolving it with the elite GA: {population} worms x {episodes} episodes, {generations} generations...", log)
    evolution = out / "evolution"
    evolution.mkdir(exist_ok=True)
    checkpoint = evolution / "checkpoint.npz"
    if checkpoint.exists():
        checkpoint.unlink()  # the demo is short: start afresh each time
    result = run(ga, fitness, generations, seed=seed, checkpoint=checkpoint, progress=progress)
    result.to_csv(evolution / "logbook.csv")
    evolved = np.asarray(result.best, dtype=np.float64)
    genes_changed = int(np.count_nonzero(evolved != genome))
    evolved_path = save_worm(out / "worm.npz", evolved, settings, layout)
    after = evaluate_genome(evolved_path, episodes=test_episodes, episode_steps=steps)
    _log("\nAfter the GA (the same held-out seeds):\n" + after.summary(), log)

    best = int(np.argmax(np.where(np.isfinite(after.returns), after.returns, -np.inf)))
    typical = int(np.argsort(after.returns)[len(after.returns) // 2])  # the median episode, not the luckiest
    written = [
        plot.save(plot.kymograph(after.record, individual=typical, gait=after.gaits[typical]), out / "kymograph.png"),
        plot.save(plot.swim_trajectory(after.record), out / "trajectory.png"),
        plot.save(plot.rollout_raster(after.record, circuit, individual=typical), out / "raster.png"),
        plot.save(plot.fitness(result), out / "fitness.png"),
    ]
    video, renderer = render_video(after.record, out / "swim.gif", individual=typical)  # MuJoCo's, in a child
    written.append(Path(video))
    summary = {
        "worm": str(source), "model": settings.model, "task": settings.task, "episode_steps": steps,
        "before": before.to_dict(), "after": after.to_dict(),
        "generations": generations, "population": population, "episodes_per_individual": episodes,
        "genes_changed": genes_changed, "genes": int(genome.size),
        "figures_episode": typical, "best_episode": best, "video_renderer": renderer,
        "seconds": time.perf_counter() - started,
    }
    (out / "demo.json").write_text(json.dumps(summary, indent=2) + "\n")
    _log(f"\n{_evolution_line(before, after, generations, population, genes_changed, genome.size)} "
         f"({test_episodes} held-out test seeds; gymnasium's 'solved' threshold for Swimmer: 360)", log)
    _log("written: " + ", ".join(str(path) for path in [out / "demo.json", evolved_path, *written]), log)
    return summary
