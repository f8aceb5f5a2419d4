"""A video of a recorded swim: MuJoCo's renderer where it can run, a matplotlib drawing of the links elsewhere.

:func:`render_video` replays a :class:`~neuroworm.control.RolloutRecord`:
the body's full joint position ``qpos`` is rebuilt at every environment step
from the record (root x-y from ``head_position``, then the root angle and
the joint angles, which are the first entries of a swimmer's observation)
and either

1. drawn by MuJoCo's offscreen renderer (``mujoco.Renderer``) in a fresh
   process of its own (:func:`render_in_child`). MuJoCo picks its OpenGL
   backend when it is first imported, and a renderer created in a process
   that imported MuJoCo with another backend can abort that whole process;
   the child imports MuJoCo with ``MUJOCO_GL=egl`` (unless ``MUJOCO_GL`` is
   set) and at worst dies alone. Headless machines need the OS library
   (Debian: ``apt-get install libegl1``, or ``libosmesa6`` with
   ``MUJOCO_GL=osmesa``); or, when that fails,
2. drawn with matplotlib: each capsule of the body as a line between its
   end points, computed by MuJoCo's forward kinematics (no OpenGL needed).

Frames are written as a GIF (Pillow, always available with matplotlib) or,
when ``imageio-ffmpeg`` or an ``ffmpeg`` binary is present, as an MP4; an
``.mp4`` asked for without ffmpeg is written as ``.gif`` beside it.
"""

import os
import shutil
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["body_qpos", "render_in_child", "render_video"]


def _model_and_data(env_id):
    import gymnasium

    import neuroworm.tasks  # noqa: F401  (registers neuroworm's environments)

    env = gymnasium.make(env_id)
    unwrapped = env.unwrapped
    if not hasattr(unwrapped, "model") or not hasattr(unwrapped, "data"):
        env.close()
        raise ConfigError(f"{env_id}: not a MuJoCo environment; nothing to render")
    return env, unwrapped.model, unwrapped.data


def body_qpos(record, model, individual=0):
    """Rebuild the joint positions (E + 1, nq) of one body from a record.

    ``qpos = [root x, root y, observation[:nq - 2]]``: the swimmers observe
    their joint positions without the root's x and y first. Checked against
    the record's joint angles.

    Raises
    ------
    ConfigError
        If the record lacks head positions or its observations do not start
        with the joint positions.
    """
    if record.head_position is None or record.head_position.shape[-1] < 2:
        raise ConfigError(f"record of {record.env_id!r} has no x-y root position to replay")
    root = record.head_position[:, individual, :2]
    rest = record.observations[:, individual, : model.nq - 2]
    qpos = np.concatenate([root, rest], axis=1)
    if record.joint_angles is not None:
        addresses = np.asarray(model.jnt_qposadr[[int(j) for j in model.actuator_trnid[:, 0]]])
        if not np.allclose(qpos[:, addresses], record.joint_angles[:, individual, :], atol=1e-9):
            raise ConfigError(f"{record.env_id}: observations do not start with the joint positions; "
                              "cannot rebuild the body's pose")
    return qpos


def _frame_steps(n_rows, max_frames):
    stride = max(1, -(-n_rows // max_frames))
    return np.arange(0, n_rows, stride), stride


def _mujoco_frames(model, data, qpos, steps, width, height):
    import mujoco

    renderer = mujoco.Renderer(model, height, width)
    try:
        camera = -1
        if model.ncam:
            camera = 0
        frames = []
        for t in steps:
            data.qpos[:] = qpos[t]
            data.qvel[:] = 0.0
            mujoco.mj_forward(model, data)
            renderer.update_scene(data, camera=camera)
            frames.append(renderer.render().copy())
        return frames
    finally:
        renderer.close()


def _headless_gl():
    os.environ.setdefault("MUJOCO_GL", "egl")  # before the child imports MuJoCo


def _render_child(env_id, qpos, width, height):
    env, model, data = _model_and_data(env_id)
    try:
        return _mujoco_frames(model, data, qpos, range(len(qpos)), width, height)
    finally:
        env.close()


def render_in_child(function, *args):
    """Call ``function(*args)`` in a fresh spawned process that imports MuJoCo headless; return its result.

    The child sets ``MUJOCO_GL=egl`` unless the variable is set, before
    anything imports MuJoCo. An exception in the child is raised here; a
    child that dies (an OpenGL abort) raises
    :class:`concurrent.futures.process.BrokenProcessPool`, and this
    process goes on.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_headless_gl) as pool:
        return pool.submit(function, *args).result()


def _capsule_segments(model, data):
    """End points (n, 2, 2) of the body's capsules in the x-y plane after ``mj_forward``."""
    import mujoco

    segments = []
    for g in range(model.ngeom):
        if model.geom_type[g] != mujoco.mjtGeom.mjGEOM_CAPSULE:
            continue
        axis = data.geom_xmat[g].reshape(3, 3)[:, 2]
        half = model.geom_size[g, 1]
        centre = data.geom_xpos[g]
        segments.append([(centre - half * axis)[:2], (centre + half * axis)[:2]])
    return np.asarray(segments)


def _matplotlib_frames(model, data, qpos, steps, width, height, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mujoco

    poses = []
    for t in steps:
        data.qpos[:] = qpos[t]
        mujoco.mj_forward(model, data)
        poses.append(_capsule_segments(model, data))
    poses = np.asarray(poses)
    low, high = poses.reshape(-1, 2).min(axis=0) - 0.5, poses.reshape(-1, 2).max(axis=0) + 0.5
    dpi = 100
    figure, ax = plt.subplots(figsize=(width / dpi, height / dpi), dpi=dpi)
    frames = []
    try:
        for k, segments in enumerate(poses):
            ax.clear()
            head = qpos[: steps[k] + 1, :2]
            ax.plot(head[:, 0], head[:, 1], color="0.7", lw=0.8)
            for j, (start, stop) in enumerate(segments):
                ax.plot([start[0], stop[0]], [start[1], stop[1]], lw=6, solid_capstyle="round",
                        color="C3" if j == 0 else "C0")
            ax.set_xlim(low[0], high[0])
            ax.set_ylim(low[1], high[1])
            ax.set_aspect("equal", adjustable="box")
            ax.set_title(f"{title}  t = {steps[k]} steps", fontsize=8)
            figure.canvas.draw()
            frames.append(np.asarray(figure.canvas.buffer_rgba())[..., :3].copy())
    finally:
        plt.close(figure)
    return frames


def _has_ffmpeg():
    try:
        import imageio_ffmpeg  # noqa: F401

        return True
    except ImportError:
        return shutil.which("ffmpeg") is not None


def _write(frames, path, fps):
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".mp4", ".m4v", ".mov") and _has_ffmpeg():
        import imageio.v2 as imageio

        imageio.mimwrite(path, frames, fps=fps)
        return path
    if path.suffix.lower() != ".gif":
        path = path.with_suffix(".gif")
    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return path


def render_video(record, path, individual=0, *, renderer="auto", max_frames=250, fps=25, width=480, height=360):
    """Write a video of one body's swim.

    Parameters
    ----------
    record : RolloutRecord
        Of a MuJoCo swimmer (``Swimmer-v5``, ``neuroworm/Swimmer6-v0``, ...).
    path : str or pathlib.Path
        ``.gif``, or ``.mp4`` when ffmpeg is available (else the GIF is
        written beside it).
    individual : int
        Which body of the record.
    renderer : {"auto", "mujoco", "matplotlib"}
        ``auto`` tries MuJoCo's renderer and falls back to matplotlib.
    max_frames : int
        At most this many frames: every k-th environment step is drawn
        (the video then plays k times faster than the simulation at ``fps``).
    fps, width, height : int

    Returns
    -------
    path : pathlib.Path
        The file written.
    used : str
        ``"mujoco"`` or ``"matplotlib"``.

    Raises
    ------
    ConfigError
        A record that cannot be replayed, or ``renderer="mujoco"`` where
        MuJoCo cannot render (the message says what failed).
    """
    if renderer not in ("auto", "mujoco", "matplotlib"):
        raise ConfigError(f"renderer must be 'auto', 'mujoco' or 'matplotlib', got {renderer!r}")
    env, model, data = _model_and_data(record.env_id)
    try:
        qpos = body_qpos(record, model, individual)
        steps, stride = _frame_steps(len(qpos), max_frames)
        frames, used = None, "matplotlib"
        if renderer in ("auto", "mujoco"):
            try:
                frames = render_in_child(_render_child, record.env_id, qpos[steps], width, height)
                used = "mujoco"
            except Exception as error:  # noqa: BLE001 -- no OpenGL: missing EGL/OSMesa, a child that aborted, ...
                if renderer == "mujoco":
                    raise ConfigError(
                        f"MuJoCo cannot render here ({type(error).__name__}: {error}); MUJOCO_GL is "
                        f"{os.environ.get('MUJOCO_GL', 'unset (egl in the renderer process)')!r}: install libegl1, "
                        "or libosmesa6 and set MUJOCO_GL=osmesa"
                    ) from None
        if frames is None:
            title = f"{record.env_id}, individual {individual}, x{stride} speed"
            frames = _matplotlib_frames(model, data, qpos, steps, width, height, title)
    finally:
        env.close()
    return _write(frames, path, fps), used
