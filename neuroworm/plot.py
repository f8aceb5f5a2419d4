"""Matplotlib figures: connectome matrices, degree distributions, fitness curves, rasters, trajectories.

Every function draws on an ``ax`` it is given (or a new figure's) and
returns the Axes, so figures compose. matplotlib is imported inside the
functions: importing neuroworm does not import it.
"""

import itertools

import numpy as np

__all__ = ["connectome_matrix", "degree_distribution", "fitness", "joint_angles", "kymograph", "raster",
           "rollout_raster", "save", "swim_trajectory"]

_CLASS_ORDER = ("sensory", "inter", "motor", "muscle", "other")


def _axes(ax, figsize=(6, 5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def save(ax_or_figure, path, dpi=150):
    """Save the figure of ``ax_or_figure`` to ``path`` (folders are created) and close it.

    Parameters
    ----------
    ax_or_figure : matplotlib Axes or Figure
    path : str or pathlib.Path
    dpi : int

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from pathlib import Path

    import matplotlib.pyplot as plt

    figure = getattr(ax_or_figure, "figure", ax_or_figure)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path


def connectome_matrix(connectome, kind="signed", ax=None, log=True):
    """Adjacency matrix with cells grouped by cell class (sensory, inter, motor, muscle, other).

    Parameters
    ----------
    connectome : Connectome
    kind : {"signed", "chemical", "electrical", "combined"}
        Which matrix (see :meth:`Connectome.adjacency`). ``signed`` shows
        excitatory synapses in red, inhibitory ones in blue and those of
        unknown sign (e.g. glutamatergic in C. elegans) in grey.
    ax : matplotlib Axes, optional
    log : bool
        Colour by ``sign·log(1 + weight)`` so that the many small weights stay visible.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, figsize=(7, 6))
    neurons = connectome.neurons
    rank = neurons["cell_class"].map({c: i for i, c in enumerate(_CLASS_ORDER)})
    order = list(neurons.assign(_rank=rank).sort_values(["_rank"], kind="stable").index)
    matrix, _ = connectome.adjacency(kind, order=order)
    dense = matrix.toarray()
    if log:
        dense = np.sign(dense) * np.log1p(np.abs(dense))
    limit = np.abs(dense).max() or 1.0
    image = ax.imshow(dense, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    if kind == "signed":
        unsigned, _ = connectome.adjacency("chemical", order=order)
        unknown = (unsigned.toarray() != 0) & (matrix.toarray() == 0)
        ax.imshow(np.ma.masked_where(~unknown, unknown), cmap="Greys", vmin=0, vmax=1.6, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=("sign·log(1+weight)" if log else "weight"), shrink=0.8)
    classes = neurons.loc[order, "cell_class"].to_numpy()
    boundaries = [0] + [i for i in range(1, len(classes)) if classes[i] != classes[i - 1]] + [len(classes)]
    for b in boundaries[1:-1]:
        ax.axhline(b - 0.5, color="0.3", lw=0.6)
        ax.axvline(b - 0.5, color="0.3", lw=0.6)
    centres = [(lo + hi - 1) / 2 for lo, hi in itertools.pairwise(boundaries)]
    labels = [classes[lo] for lo in boundaries[:-1]]
    ax.set_xticks(centres, labels, rotation=45, ha="right")
    ax.set_yticks(centres, labels)
    ax.set_xlabel("postsynaptic cell")
    ax.set_ylabel("presynaptic cell")
    ax.set_title(f"{connectome.name}: {kind} connectivity by cell class")
    return ax


def degree_distribution(connectome, ax=None):
    """Histograms of chemical in-degree, out-degree and gap-junction degree.

    Parameters
    ----------
    connectome : Connectome
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    chemical, _ = connectome.adjacency("chemical")
    electrical, _ = connectome.adjacency("electrical")
    degrees = {
        "chemical in-degree": np.diff(chemical.tocsc().indptr),
        "chemical out-degree": np.diff(chemical.indptr),
        "gap-junction degree": np.diff(electrical.indptr),
    }
    top = max(int(d.max()) if len(d) else 0 for d in degrees.values())
    bins = np.arange(0, top + 2) - 0.5 if top < 60 else 40
    for label, values in degrees.items():
        ax.hist(values, bins=bins, histtype="step", lw=1.5, label=label)
    ax.set_xlabel("degree (number of partner cells)")
    ax.set_ylabel("number of cells")
    ax.set_title(f"{connectome.name}: degree distributions")
    ax.legend(frameon=False)
    return ax


def fitness(logbook, ax=None):
    """Fitness over generations: best so far, and the mean with a ±1 std band.

    The training curves of Schmidgall et al. (2023, Fig. 2-4) and Bertens &
    Lee (2019).

    Parameters
    ----------
    logbook : deap.tools.Logbook, pandas.DataFrame or EvolutionResult
        Rows with ``gen``, ``mean``, ``std`` and ``best`` (or ``max``), as
        written by :func:`neuroworm.evolve.run`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import pandas as pd

    if hasattr(logbook, "logbook_frame"):
        frame = logbook.logbook_frame()
    elif isinstance(logbook, pd.DataFrame):
        frame = logbook
    else:
        frame = pd.DataFrame(list(logbook))
    ax = _axes(ax, figsize=(6, 4))
    generation = frame["gen"].to_numpy() if "gen" in frame else np.arange(len(frame))
    mean = frame["mean"].to_numpy(dtype=float)
    spread = frame["std"].to_numpy(dtype=float) if "std" in frame else np.zeros_like(mean)
    best = frame["best"] if "best" in frame else frame["max"]
    ax.fill_between(generation, mean - spread, mean + spread, color="C0", alpha=0.25, lw=0, label="mean ± std")
    ax.plot(generation, mean, color="C0", lw=1.5, label="mean")
    ax.plot(generation, best.to_numpy(dtype=float), color="C3", lw=1.5, label="best")
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness")
    ax.legend(frameon=False)
    return ax


def raster(spike_times, spike_indices, names=None, ax=None):
    """Spike raster: one dot per spike, time on x, neuron on y.

    Parameters
    ----------
    spike_times : array_like
        Time of each spike (steps, ms, or a Brian2 quantity, which is shown in ms).
    spike_indices : array_like of int
        Neuron index of each spike (e.g. ``SpikeMonitor.i``).
    names : sequence of str, optional
        Neuron names by index, used as y tick labels when there are at most 60.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> monitor = brian2.SpikeMonitor(net.neurons)
    >>> raster(monitor.t, monitor.i, names=net.neuron_names)
    """
    ax = _axes(ax, figsize=(8, 4))
    unit = "time"
    if hasattr(spike_times, "dim"):  # Brian2 quantity
        from brian2 import ms

        spike_times = np.asarray(spike_times / ms)
        unit = "time (ms)"
    times = np.asarray(spike_times, dtype=float)
    indices = np.asarray(spike_indices, dtype=int)
    if times.shape != indices.shape:
        raise ValueError(f"spike_times and spike_indices differ in shape: {times.shape} vs {indices.shape}")
    ax.scatter(times, indices, s=2, marker="|", color="k", linewidths=0.8)
    ax.set_xlabel(unit)
    ax.set_ylabel("neuron")
    if names is not None:
        if len(names) <= 60:
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels(names, fontsize=6)
        ax.set_ylim(-0.5, len(names) - 0.5)
    return ax


def _individuals(record, individuals):
    n = record.actions.shape[1] if record.actions.ndim == 3 else len(record.returns)
    chosen = range(n) if individuals is None else np.atleast_1d(individuals)
    return [int(k) for k in chosen]


def swim_trajectory(record, ax=None, individuals=None):
    """Head x–y path of each body during a closed-loop rollout.

    Parameters
    ----------
    record : neuroworm.control.RolloutRecord
        From ``evaluate(..., record=True)`` on a swimmer (or any task whose
        root has x and y positions).
    ax : matplotlib Axes, optional
    individuals : int or sequence of int, optional
        Which individuals to draw (default all); each path starts at a dot
        and is labelled with its return.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If the record has no x–y head positions (e.g. HalfCheetah: x only).
    """
    position = record.head_position
    if position is None or position.shape[-1] < 2:
        raise ValueError(f"record of {record.env_id!r} has no x-y head positions to draw")
    ax = _axes(ax, figsize=(6, 5))
    for k in _individuals(record, individuals):
        x, y = position[:, k, 0], position[:, k, 1]
        line, = ax.plot(x, y, lw=1.2, label=f"{k}: return {record.returns[k]:.3g}")
        ax.plot(x[:1], y[:1], "o", color=line.get_color(), ms=4)
    ax.set_xlabel("head x (m)")
    ax.set_ylabel("head y (m)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(frameon=False, fontsize=7)
    return ax


def joint_angles(record, ax=None, individual=0):
    """Angles of the actuated joints of one body over a rollout.

    Parameters
    ----------
    record : neuroworm.control.RolloutRecord
    ax : matplotlib Axes, optional
    individual : int

    Returns
    -------
    matplotlib Axes
    """
    if record.joint_angles is None:
        raise ValueError(f"record of {record.env_id!r} has no joint angles")
    ax = _axes(ax, figsize=(8, 3.5))
    for j, name in enumerate(record.joint_names):
        ax.plot(record.time, record.joint_angles[:, individual, j], lw=1, label=name)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("joint angle (rad)")
    ax.set_title(f"individual {individual}", fontsize=9)
    ax.legend(frameon=False, fontsize=7)
    return ax


def rollout_raster(record, circuit=None, ax=None, individual=0):
    """Spikes of the recorded cells (motor neurons, then muscles) of one individual during a rollout.

    Uses :func:`raster` with time in ms of neural time; a red line separates
    the circuit's input cells (below) from its output cells (above).

    Parameters
    ----------
    record : neuroworm.control.RolloutRecord
        Recorded with ``record=True`` (inputs then outputs) or named cells.
    circuit : Circuit, optional
        Says which cells are inputs (default: the record's ``input_cells``).
    ax : matplotlib Axes, optional
    individual : int

    Returns
    -------
    matplotlib Axes
    """
    steps, cells = np.nonzero(record.spikes[:, individual, :])
    ax = raster(steps * record.neural_dt_ms, cells, names=record.spike_cells, ax=ax)
    ax.set_xlabel("time (ms, neural)")
    inputs = set(circuit.inputs if circuit is not None else record.input_cells)
    n_inputs = sum(1 for cell in record.spike_cells if cell in inputs)
    split = 0 < n_inputs < len(record.spike_cells)
    if split:
        ax.axhline(n_inputs - 0.5, color="C3", lw=0.8)
    ax.set_ylabel("cell (inputs below the line, outputs above)" if split else "cell")
    ax.set_title(f"individual {individual}", fontsize=9)
    return ax


def kymograph(record, ax=None, individual=0, gait=None, centre=True):
    """Joint angles of one body as an image, joints (head to tail) against time.

    A travelling wave shows as diagonal stripes (each joint reaches its
    peak a little after the one before it); a standing wave as vertical
    stripes, a drifting posture as horizontal bands.

    Parameters
    ----------
    record : neuroworm.control.RolloutRecord or array_like (T, J)
        A record gives its joint angles, time step and joint names; an array
        is drawn against step numbers.
    ax : matplotlib Axes, optional
    individual : int
        Which body of a record.
    gait : neuroworm.analysis.Gait, optional
        Its frequency, lags and verdict are written in the title.
    centre : bool
        Subtract each joint's mean angle, so that a joint held bent near
        its limit still shows its oscillation (the colour bar says so).

    Returns
    -------
    matplotlib Axes
    """
    if hasattr(record, "joint_angles"):
        if record.joint_angles is None:
            raise ValueError(f"record of {record.env_id!r} has no joint angles")
        angles = np.asarray(record.joint_angles[:, individual, :], dtype=float)
        extent_time, label = float(record.time[-1]), "time (s)"
        names = list(record.joint_names)
    else:
        angles = np.asarray(record, dtype=float)
        extent_time, label = float(len(angles) - 1), "step"
        names = [f"joint{j}" for j in range(angles.shape[1])]
    ax = _axes(ax, figsize=(8, 3))
    if centre:
        angles = angles - np.nanmean(angles, axis=0)
    limit = float(np.nanmax(np.abs(angles))) or 1.0
    image = ax.imshow(angles.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest",
                      extent=(0.0, extent_time, len(names) - 0.5, -0.5))
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel(label)
    ax.set_ylabel("joint (head at top)")
    ax.figure.colorbar(image, ax=ax, label="angle - its mean (rad)" if centre else "angle (rad)", pad=0.01)
    if gait is not None:
        lags = ", ".join(f"{lag:+.2f}" for lag in gait.phase_lag_rad)
        verdict = f"travelling wave ({gait.direction})" if gait.travelling_wave else "no travelling wave"
        ax.set_title(f"{gait.frequency_hz:.2f} Hz, lags [{lags}] rad: {verdict}", fontsize=9)
    return ax
