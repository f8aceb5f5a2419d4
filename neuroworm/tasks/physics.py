"""Stepping many MuJoCo bodies of one model, keeping each body's whole state.

A population of P bodies shares one :class:`mujoco.MjModel`.  Every body
keeps its *whole* simulation state between environment steps: positions,
velocities, activations, controls, and the constraint solver's warm start
``qacc_warmstart``.  The warm start matters: gymnasium steps one ``MjData`` per
environment, and a batched stepper that restarts each step from positions and
velocities alone (``mujoco.rollout`` takes a ``mjSTATE_FULLPHYSICS`` vector
and returns no warm start) drifts away from gymnasium wherever constraints are
active: HalfCheetah's observations differ by O(1) within 100 steps (ground
contacts), Swimmer's by ~1e-15 (its joint limits rarely engage).

Two interchangeable steppers, both exact:

:class:`ThreadedPhysics`
    P :class:`mujoco.MjData`, stepped by a Python loop of ``mj_step`` calls
    split over a thread pool (``mj_step`` releases the GIL).  Works with any
    MuJoCo.
:class:`BatchPhysics`
    ``mujoco.batch.Batch`` (MuJoCo >= 4): the P states are rows of one array
    (``mjSTATE_INTEGRATION``, warm start included) stepped by MuJoCo's own
    thread pool, with no Python loop over bodies.  Bit-identical to a loop
    over one ``MjData`` per body.

:func:`make_physics` picks ``BatchPhysics`` where MuJoCo has it;
``benchmarks/bench_physics.py`` times both, side by side with
``mujoco.rollout``.
"""

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from neuroworm.errors import TaskError

__all__ = ["PHYSICS_STEPPERS", "BatchPhysics", "ThreadedPhysics", "available_cores", "make_physics"]

#: Fewer bodies than this per thread are stepped on the calling thread alone:
#: handing work to another thread costs more than it saves.
MIN_BODIES_PER_THREAD = 8


def available_cores():
    """Return the number of CPU cores this process may run on.

    Returns
    -------
    int
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def has_mujoco_batch():
    """Return whether the installed MuJoCo has ``mujoco.batch.Batch`` (MuJoCo >= 4)."""
    try:
        from mujoco import batch  # noqa: F401
    except ImportError:
        return False
    return True


class ThreadedPhysics:
    """P simulations of one MuJoCo model in P ``MjData``, stepped on a thread pool.

    Parameters
    ----------
    model : mujoco.MjModel
        The model every body shares.
    n_bodies : int
        Number of simulations P.
    num_threads : int, optional
        Threads stepping the bodies, the calling thread included.  ``None``
        uses every available core; ``1`` steps everything on the caller.

    Attributes
    ----------
    model : mujoco.MjModel
    datas : list of mujoco.MjData
        One full simulation state per body.
    qpos, qvel : numpy.ndarray, shape (P, nq) and (P, nv)
        Every body's joint positions and velocities, updated by :meth:`step`
        and :meth:`set_state`.
    num_threads : int
    """

    def __init__(self, model, n_bodies, *, num_threads=None):
        import mujoco

        self._mujoco = mujoco
        self.model = model
        self.datas = [mujoco.MjData(model) for _ in range(n_bodies)]
        self.qpos = np.array([data.qpos for data in self.datas])
        self.qvel = np.array([data.qvel for data in self.datas])
        self.num_threads = max(1, int(num_threads or available_cores()))
        self._executor = None

    def __len__(self):
        return len(self.datas)

    def step(self, body_ids, controls, n_substeps):
        """Apply controls and advance some bodies by ``n_substeps`` ``mj_step`` calls.

        This is gymnasium's ``MujocoEnv.do_simulation`` for each body:
        ``data.ctrl[:] = control`` then ``mj_step(model, data, nstep=n_substeps)``.
        (gymnasium then calls ``mj_rnePostConstraint``, which fills
        ``cacc``/``cfrc_int``/``cfrc_ext`` for rendering and contact costs but
        changes no state; it is skipped here.)

        Parameters
        ----------
        body_ids : numpy.ndarray of int, shape (k,)
            Bodies to step, in increasing order.
        controls : numpy.ndarray, shape (k, nu)
            Control of each stepped body, in ``body_ids`` order.
        n_substeps : int
            MuJoCo steps per call (gymnasium's ``frame_skip``).
        """
        chunks = self._chunks(len(body_ids))
        if len(chunks) == 1:
            self._step_chunk(body_ids, controls, n_substeps)
            return
        executor = self._get_executor()
        futures = [
            executor.submit(self._step_chunk, body_ids[chunk], controls[chunk], n_substeps)
            for chunk in chunks[1:]
        ]
        first = chunks[0]
        self._step_chunk(body_ids[first], controls[first], n_substeps)
        for future in futures:
            future.result()

    def set_state(self, body_ids, qpos, qvel):
        """Reset some bodies' simulations, then set their joint states.

        Follows gymnasium's ``MujocoEnv.reset`` then ``set_state`` for each
        body: ``mj_resetData`` (which also zeroes the warm start), write
        ``qpos`` and ``qvel``, ``mj_forward``.

        Parameters
        ----------
        body_ids : numpy.ndarray of int, shape (k,)
        qpos : numpy.ndarray, shape (k, nq)
        qvel : numpy.ndarray, shape (k, nv)
        """
        mujoco = self._mujoco
        for body_id, body_qpos, body_qvel in zip(body_ids.tolist(), qpos, qvel):
            data = self.datas[body_id]
            mujoco.mj_resetData(self.model, data)
            data.qpos[:] = body_qpos
            data.qvel[:] = body_qvel
            mujoco.mj_forward(self.model, data)
            self.qpos[body_id] = data.qpos
            self.qvel[body_id] = data.qvel

    def close(self):
        """Stop the worker threads (stepping still works, on the caller)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _chunks(self, n_stepped):
        n_chunks = min(self.num_threads, max(1, n_stepped // MIN_BODIES_PER_THREAD))
        bounds = np.linspace(0, n_stepped, n_chunks + 1).astype(int)
        return [slice(start, stop) for start, stop in itertools.pairwise(bounds)]

    def _get_executor(self):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.num_threads - 1, thread_name_prefix="neuroworm-physics"
            )
        return self._executor

    def _step_chunk(self, body_ids, controls, n_substeps):
        mj_step = self._mujoco.mj_step
        model, datas, qpos, qvel = self.model, self.datas, self.qpos, self.qvel
        for body_id, control in zip(body_ids.tolist(), controls):
            data = datas[body_id]
            data.ctrl[:] = control
            mj_step(model, data, nstep=n_substeps)
            qpos[body_id] = data.qpos
            qvel[body_id] = data.qvel


class BatchPhysics:
    """P simulations of one MuJoCo model as rows of ``mujoco.batch.Batch`` (MuJoCo >= 4).

    Parameters
    ----------
    model : mujoco.MjModel
    n_bodies : int
    num_threads : int, optional
        Threads of MuJoCo's pool, the caller included; ``None`` uses every
        available core.

    Attributes
    ----------
    model : mujoco.MjModel
    batch : mujoco.batch.Batch
    qpos, qvel : numpy.ndarray, shape (P, nq) and (P, nv)
        Live views of the bodies' state rows.
    num_threads : int
    """

    def __init__(self, model, n_bodies, *, num_threads=None):
        from mujoco import batch

        self.model = model
        self.num_threads = max(1, int(num_threads or available_cores()))
        self.batch = batch.Batch(model, n_bodies, nthread=self.num_threads)
        self.qpos = self.batch.bind("qpos")
        self.qvel = self.batch.bind("qvel")
        self._ctrl = self.batch.bind("ctrl")

    def __len__(self):
        return self.batch.nsim

    def step(self, body_ids, controls, n_substeps):
        """Apply controls and advance some bodies by ``n_substeps`` ``mj_step`` calls.

        See :meth:`ThreadedPhysics.step`; the same computation, in MuJoCo's
        threads.
        """
        if len(body_ids) == 0:
            return
        self._ctrl[body_ids] = controls
        self.batch.step(body_ids, nstep=n_substeps)

    def set_state(self, body_ids, qpos, qvel):
        """Reset some bodies' simulations, then set their joint states (see :meth:`ThreadedPhysics.set_state`)."""
        import mujoco

        if len(body_ids) == 0:
            return
        self.batch.reset(body_ids, stage=mujoco.mjtStage.mjSTAGE_NONE)
        self.qpos[body_ids] = qpos
        self.qvel[body_ids] = qvel
        self.batch.forward(body_ids)

    def close(self):
        """Nothing to release before garbage collection; kept for a common interface."""


#: Physics steppers by name; ``"auto"`` in :func:`make_physics` prefers ``"batch"``.
PHYSICS_STEPPERS = {"threads": ThreadedPhysics, "batch": BatchPhysics}


def make_physics(model, n_bodies, *, stepper="auto", num_threads=None):
    """Return the physics of ``n_bodies`` bodies of ``model`` with a chosen stepper.

    Parameters
    ----------
    model : mujoco.MjModel
    n_bodies : int
    stepper : {"auto", "batch", "threads"}, default "auto"
        ``"auto"`` uses ``"batch"`` (``mujoco.batch``, the faster) where the
        installed MuJoCo has it, ``"threads"`` otherwise.
    num_threads : int, optional
        Threads stepping the bodies; ``None`` uses every available core.

    Returns
    -------
    ThreadedPhysics or BatchPhysics

    Raises
    ------
    TaskError
        If ``stepper`` is unknown, or ``"batch"`` is asked of a MuJoCo without it.
    """
    if stepper == "auto":
        stepper = "batch" if has_mujoco_batch() else "threads"
    if stepper not in PHYSICS_STEPPERS:
        raise TaskError(f"physics stepper must be 'auto', 'batch' or 'threads', got {stepper!r}")
    if stepper == "batch" and not has_mujoco_batch():
        raise TaskError("physics stepper 'batch' needs mujoco.batch (MuJoCo >= 4); use 'threads'")
    return PHYSICS_STEPPERS[stepper](model, n_bodies, num_threads=num_threads)
