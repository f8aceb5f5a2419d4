"""How well, and how, a saved worm swims: held-out returns and gait of a genome file.

:func:`load_genome_file` reads either kind of genome file neuroworm writes
and rebuilds what is needed to evaluate it (circuit, genome layout, neuron
model, task, K, backend):

``worm.npz`` (:func:`neuroworm.pipelines.pretraining.save_worm`) and ``best_genome.npz``
(:func:`neuroworm.pipelines.evolve.evolve_controller`)
    worm files (:mod:`neuroworm.worm_file`, read by
    :func:`~neuroworm.worm_file.read_worm_file`): keys ``genome``,
    ``settings`` (JSON of ``PretrainSettings`` or ``EvolutionSettings``)
    and ``layout`` (JSON: per_neuron, slices); ``best_genome.npz`` also
    holds ``fitness``.
``best_genome.npz`` written before issue #19
    keys ``genome``, ``fitness``, ``settings`` and ``slices``; still read.

All are read with ``allow_pickle=False``. A run folder is searched for
``worm.npz``, ``ga/worm.npz``, then ``best_genome.npz``.

:func:`evaluate_genome` runs the genome on ``N`` episodes whose reset seeds
no training step used, ``HELD_OUT_SEED_BASE + seed·N + i`` for ``i < N`` (seed 0
gives exactly the test seeds of :func:`~neuroworm.pipelines.pretraining.heldout_seeds`;
training seeds lie below ``2^30``), as N copies of the genome in one batched
closed loop, and measures each episode's gait (:mod:`neuroworm.analysis.gait`).
"""

import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..limits import as_path, check_input_file, check_npz_members, load_json, max_decompressed_bytes
from ..neurons.models import model_class
from ..seeding import TEST_SEED_BASE

__all__ = ["HELD_OUT_SEED_BASE", "GenomeEvaluation", "WormFile", "episode_reset_seeds", "evaluate_genome",
           "find_genome_file", "load_genome_file"]

RUN_FOLDER_FILES = ("worm.npz", "ga/worm.npz", "best_genome.npz")
"""Where a run folder's genome is looked for, in this order."""

HELD_OUT_SEED_BASE = TEST_SEED_BASE
"""First held-out reset seed: the pre-training report's test seeds start here
(:data:`neuroworm.seeding.TEST_SEED_BASE`); training seeds lie in
``[0, 2^30)``, validation seeds in ``[2^30, 2^30 + 2^20)``."""


@dataclass
class WormFile:
    """A genome and what is needed to rebuild its evaluator.

    Attributes
    ----------
    path : pathlib.Path
    genome : numpy.ndarray, shape (D,)
    circuit : Circuit
    layout : GenomeLayout
    model : str
    task : str
    neural_steps_per_env_step : int or None
        None: the model's default.
    episode_steps : int
    backend : str
        The backend the file names, or ``"relu"`` for ReLU genomes and
        ``"reference"`` otherwise (which gives the same returns as Brian2).
    gap_junctions : bool
        Whether the network it was trained on simulated the circuit's gap
        junctions (the file's ``gap_junctions`` setting; files without it
        were trained with them).
    description : dict
        The file's JSON settings, as stored.
    """

    path: Path
    genome: np.ndarray
    circuit: object
    layout: object
    model: str
    task: str
    neural_steps_per_env_step: object
    episode_steps: int
    backend: str
    gap_junctions: bool = True
    description: dict = field(default_factory=dict)


def find_genome_file(path):
    """The genome file of ``path``: the file itself, or the first of :data:`RUN_FOLDER_FILES` in a folder.

    Raises
    ------
    ConfigError
        If ``path`` does not exist, or a folder holds none of those files.
    """
    path = as_path(path, "a genome file or run folder")
    if path.is_dir():
        for name in RUN_FOLDER_FILES:
            if (path / name).is_file():
                return path / name
        raise ConfigError(f"{path}: no genome file in this folder (looked for {', '.join(RUN_FOLDER_FILES)})")
    if not path.exists():
        raise ConfigError(f"{path}: no such genome file or run folder")
    check_input_file(path, lambda message: ConfigError(f"{path}: {message}"))  # FIFOs, devices, long paths
    return path


def _read_npz(path):
    try:
        check_npz_members(path, lambda message: ConfigError(f"{path}: {message}"), max_bytes=max_decompressed_bytes())
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:  # ValueError: a pickled array
        raise ConfigError(f"{path}: not a readable .npz genome file ({type(error).__name__}: {error})") from None


def _json_field(path, arrays, key):
    try:
        return load_json(str(arrays[key]), lambda message: ConfigError(f"{path}: field {key!r}: {message}"))
    except KeyError as error:
        raise ConfigError(f"{path}: field {key!r} is missing or not JSON ({error})") from None


def _default_backend(model, named=None):
    """The backend a saved genome runs on: the file's, for a spiking model; else the model's own.

    A rate model (ReLU) runs on its model's ``default_backend`` whatever the
    file names (run files name the closed loop's default, ``"brian2"``,
    which runs spiking models only); a spiking model runs on the backend the
    file names, or its ``default_backend`` (the NumPy reference: Brian2's
    returns, bit for bit).
    """
    facts = model_class(model)
    return (named or facts.default_backend) if facts.spiking else facts.default_backend


def load_genome_file(path):
    """Read a ``worm.npz`` or ``best_genome.npz`` (or a run folder) and rebuild its description.

    Parameters
    ----------
    path : str or pathlib.Path
        A genome file or a run folder (see :func:`find_genome_file`).

    Returns
    -------
    WormFile

    Raises
    ------
    ConfigError
        Unreadable file, missing keys, or a stored layout that does not match
        the rebuilt one (the message names the file).
    """
    from ..connectome import NAMED_CIRCUITS, load_connectome, named_circuit
    from ..genome import GenomeLayout
    from ..tasks import task_dimensions

    path = find_genome_file(path)
    arrays = _read_npz(path)
    if "genome" not in arrays:
        raise ConfigError(f"{path}: not a neuroworm genome file (no 'genome' array; keys: {sorted(arrays)})")
    if "layout" in arrays:  # a worm file (neuroworm.worm_file): every file neuroworm writes
        from ..worm_file import read_worm_file

        worm = read_worm_file(path)
        settings = worm.settings
        return WormFile(path, worm.genome, worm.circuit, worm.layout, settings["model"], settings["task"],
                        settings.get("neural_steps_per_env_step"), int(settings.get("episode_steps", 1000)),
                        _default_backend(settings["model"], settings.get("backend")),
                        bool(settings.get("gap_junctions", True)), settings)
    settings = _json_field(path, arrays, "settings")
    missing = [key for key in ("connectome", "circuit", "model", "task") if key not in settings]
    if missing:
        raise ConfigError(f"{path}: settings lack {missing}")
    if arrays["genome"].dtype.kind not in "iuf":
        raise ConfigError(f"{path}: field 'genome' must hold numbers, got dtype {arrays['genome'].dtype}")
    genome = np.asarray(arrays["genome"], dtype=np.float64).ravel()
    if not np.all(np.isfinite(genome)):
        raise ConfigError(f"{path}: field 'genome' holds NaN or infinite values")
    if settings["circuit"] not in NAMED_CIRCUITS:
        raise ConfigError(f"{path}: unknown circuit {settings['circuit']!r}; known: {', '.join(NAMED_CIRCUITS)}")
    circuit = named_circuit(load_connectome(settings["connectome"]), settings["circuit"])
    layout = GenomeLayout(circuit, settings["model"], *task_dimensions(settings["task"]),
                          per_neuron=settings.get("per_neuron", ()))
    if "slices" in arrays:
        stored = {name: list(bounds) for name, bounds in _json_field(path, arrays, "slices").items()}
        rebuilt = {name: [part.start, part.stop] for name, part in layout.slices.items()}
        if stored != rebuilt:
            raise ConfigError(f"{path}: the stored genome layout {stored} does not match the rebuilt one {rebuilt}")
    if genome.shape != (layout.size,):
        raise ConfigError(f"{path}: genome has {genome.size} values, its layout {layout.size}")
    return WormFile(path, genome, circuit, layout, settings["model"], settings["task"],
                    settings.get("neural_steps_per_env_step"), int(settings.get("episode_steps", 1000)),
                    _default_backend(settings["model"], settings.get("backend")),
                    bool(settings.get("gap_junctions", True)), settings)


def episode_reset_seeds(episodes, seed=0):
    """Held-out reset seeds ``HELD_OUT_SEED_BASE + seed·episodes + i``, ``i < episodes``.

    Seed 0 gives the test seeds of the pre-training report; other seeds give
    disjoint sets of the same size. All lie above the training range
    ``[0, 2^30)`` and the validation seeds.
    """
    from ..validation import check_nonnegative_int, check_positive_int

    episodes = check_positive_int("episodes", episodes)
    seed = check_nonnegative_int("seed", seed)
    first = HELD_OUT_SEED_BASE + seed * episodes
    if first + episodes > 2**31 - 1:
        raise ConfigError(f"seed {seed} with {episodes} episodes leaves the range of reset seeds")
    return [first + i for i in range(episodes)]


@dataclass
class GenomeEvaluation:
    """Held-out returns and gait of one genome (see :func:`evaluate_genome`).

    Attributes
    ----------
    returns : numpy.ndarray, shape (N,)
        One return per episode; ``-inf`` where the network diverged.
    seeds : list of int
    gait : Gait
        Summary over the episodes (:func:`neuroworm.analysis.summarise_gaits`).
    gaits : list of Gait
        One per episode.
    record : RolloutRecord
        All N episodes (individual ``k`` is episode ``k``).
    worm : WormFile
    """

    returns: np.ndarray
    seeds: list
    gait: object
    gaits: list
    record: object
    worm: WormFile

    @property
    def failed(self):
        """Number of episodes whose network diverged."""
        return int((~np.isfinite(self.returns)).sum())

    @property
    def mean(self):
        """Mean return over the episodes that did not diverge (NaN if all did)."""
        finite = self.returns[np.isfinite(self.returns)]
        return float(finite.mean()) if finite.size else math.nan

    @property
    def std(self):
        """Standard deviation (ddof 0) over the episodes that did not diverge."""
        finite = self.returns[np.isfinite(self.returns)]
        return float(finite.std()) if finite.size else math.nan

    def to_dict(self):
        """JSON-able summary: ``returns`` (null for a diverged episode), ``mean``, ``std``, ``gait`` and context."""
        def number(value):
            return float(value) if math.isfinite(value) else None

        return {
            "returns": [number(r) for r in self.returns], "mean": number(self.mean), "std": number(self.std),
            "failed_episodes": self.failed, "gait": self.gait.to_dict(), "episodes": len(self.returns),
            "seeds": [int(s) for s in self.seeds], "file": str(self.worm.path), "model": self.worm.model,
            "task": self.worm.task, "backend": self.worm.backend,
            "travelling_wave_episodes": sum(g.travelling_wave for g in self.gaits),
        }

    def summary(self):
        """A few lines for a terminal."""
        gait = self.gait
        lines = [
            f"{self.worm.path}: {self.worm.model} on {self.worm.task} ({self.worm.backend} backend)",
            f"returns over {len(self.returns)} held-out episodes: {self.mean:.2f} ± {self.std:.2f} "
            f"(min {np.min(self.returns):.2f}, max {np.max(self.returns):.2f}"
            + (f", {self.failed} diverged)" if self.failed else ")"),
            f"gait: {gait.frequency_hz:.3f} Hz; amplitude (rad) "
            + " ".join(f"{a:.2f}" for a in gait.amplitude_rad)
            + "; lag (rad) " + " ".join(f"{lag:+.2f}" for lag in gait.phase_lag_rad)
            + "; mean posture (rad) " + " ".join(f"{a:+.2f}" for a in (gait.mean_angle_rad or [])),
            (f"travelling wave: {'yes, ' + gait.direction if gait.travelling_wave else 'no'} "
            f"({sum(g.travelling_wave for g in self.gaits)} of {len(self.gaits)} episodes)"),
        ]
        return "\n".join(lines)


def evaluate_genome(source, episodes=16, seed=0, *, backend=None, episode_steps=None, record_cells=True):
    """Held-out returns and gait of a saved genome.

    Parameters
    ----------
    source : str, pathlib.Path or WormFile
        A genome file, a run folder, or a loaded :class:`WormFile`.
    episodes : int
        N; the genome is run as N copies with N reset seeds in one batch.
    seed : int
        Chooses the held-out seeds (:func:`episode_reset_seeds`).
    backend : str, optional
        Default the file's (``"reference"`` for spiking models: the same
        returns as Brian2, bit for bit; ``"relu"`` for ReLU genomes).
    episode_steps : int, optional
        Default the file's (1000 in the paper).
    record_cells : True or sequence of str
        Cells whose spikes the record keeps (True: inputs and outputs).

    Returns
    -------
    GenomeEvaluation

    Raises
    ------
    ConfigError
        Unreadable files, bad ``episodes``/``seed``.

    Examples
    --------
    >>> result = evaluate_genome("models/alif_swimmer_v5.npz", episodes=16)
    >>> print(result.summary())
    >>> result.to_dict()["gait"]["travelling_wave"]
    """
    from ..control.evaluator import ClosedLoopEvaluator
    from .gait import gait_analysis, summarise_gaits

    worm = source if isinstance(source, WormFile) else load_genome_file(source)
    seeds = episode_reset_seeds(episodes, seed)
    if backend is not None:
        worm.backend = backend
    steps = worm.episode_steps if episode_steps is None else episode_steps
    evaluator = ClosedLoopEvaluator(worm.circuit, worm.model, worm.task, backend=worm.backend, episode_steps=steps,
                                    neural_steps_per_env_step=worm.neural_steps_per_env_step, layout=worm.layout,
                                    gap_junctions=worm.gap_junctions)
    try:
        returns, record = evaluator.rollout(np.repeat(worm.genome[None, :], len(seeds), axis=0), seeds=seeds,
                                            record=record_cells)
    finally:
        evaluator.close()
    returns = np.asarray(returns, dtype=np.float64)
    gaits = []
    if record.joint_angles is not None and record.joint_angles.shape[-1] >= 2:
        gaits = [gait_analysis(record, individual=k) for k in range(len(seeds))]
    if not gaits:
        raise ConfigError(f"{worm.task}: the record has fewer than two joint angles; no gait to analyse")
    return GenomeEvaluation(returns, seeds, summarise_gaits(gaits), gaits, record, worm)
