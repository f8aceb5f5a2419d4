"""The closed loop itself: one episode of P circuits driving P bodies, on either backend.

The loop, for P individuals at once (K = ``neural_steps_per_env_step``)::

    o_0 = envs.reset(seed=...)
    for e in 0 .. E-1:
        I = encode(o_e)                               (held for K neural steps)
        c = spikes of the output cells in neural steps e·K .. e·K + K-1
        a_e = decode(c)
        o_{e+1}, r_e = envs.step(a_e)
        return += r_e                                 (until the individual's episode ends)

:class:`Rollout` keeps the books of one episode (environments, controller,
returns, failures, record) and is the same for every backend; a backend
only runs K neural steps between two calls of :meth:`Rollout.advance`.
The two backends give the same returns and records bit for bit:

:func:`run_reference_loop`
    :class:`neuroworm.backends.ReferenceNetwork`, stepped K times per
    environment step in a Python loop.
:func:`run_brian_loop`
    A :class:`neuroworm.brian.BrianNetwork` built with ``count_spikes=True``,
    and **one** ``Network.run`` per episode, of E·K neural steps. One
    ``NetworkOperation`` with ``dt = K·dt`` and ``when="start"`` fires at
    neural steps 0, K, 2K, ...: before any group is updated in that step,
    so the step sees the current it writes. At step 0 it resets the
    environments and writes ``encode(o_0)``; at step e·K it reads the
    ``spike_count`` of the output cells (incremented by the reset of every
    spike during steps (e-1)·K .. e·K-1) and zeroes them, checks the network
    for divergence, decodes ``a_{e-1}``, steps all P bodies and writes
    ``encode(o_e)`` into ``I_ext``. After ``run`` returns, the same function
    is called once more for the last window (``a_{E-1}``). One ``run()`` per
    environment step would cost Brian2's run set-up (100-200 ms) a thousand
    times per episode.

Both backends check for divergence once per environment step, at the same
point of the loop (after the window's K steps), rather than after every
neural step: the check costs about as much as a neural step of the
population, and a diverged individual is failed either way. Failed
individuals (NaN/inf state or observation, or a non-finite action) get zero
actions and current from then on and the return ``-inf``, which the
evolution driver treats as failed; the others are not affected (the copies
of the circuit never touch).

An individual whose environment terminates or truncates before the episode's
end stops accumulating reward (the bodies reset on the next step and are
ignored); when every individual's episode has ended, the loop stops.
"""

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Rollout", "RolloutRecord", "run_brian_loop", "run_reference_loop"]


@dataclass(eq=False)
class RolloutRecord:
    """What happened during one closed-loop episode, for plotting.

    Times: ``E`` environment steps were run (fewer than asked if every
    episode ended early); arrays over environment time have ``E + 1`` rows
    (the state before each step, and after the last), spikes have ``E·K``.

    Attributes
    ----------
    env_id : str
    env_dt : float
        Seconds of simulated physics per environment step.
    neural_dt_ms : float
        Neural time step in ms.
    neural_steps_per_env_step : int
        K.
    observations : numpy.ndarray, shape (E + 1, P, n_observations)
    actions : numpy.ndarray, shape (E, P, n_actions)
    rewards : numpy.ndarray, shape (E, P)
        As the environments gave them (including steps after an
        individual's episode ended, which do not count in its return).
    head_position : numpy.ndarray, shape (E + 1, P, n_root) or None
        Position of the body's root from ``qpos``: x and y of the head
        segment for the swimmers, x of the torso for HalfCheetah; ``None``
        for environments without MuJoCo state.
    joint_angles : numpy.ndarray, shape (E + 1, P, n_joints) or None
        Angles (rad) of the actuated joints, from ``qpos``.
    joint_names : tuple of str
        Names of those joints.
    spikes : numpy.ndarray of bool, shape (E·K, P, n_cells)
        Spikes of the recorded cells at each neural step.
    spike_cells : tuple of str
        Names of the recorded cells (default: the inputs, then the outputs).
    returns : numpy.ndarray, shape (P,)
    failed : numpy.ndarray of bool, shape (P,)
    """

    env_id: str
    env_dt: float
    neural_dt_ms: float
    neural_steps_per_env_step: int
    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    head_position: object = None
    joint_angles: object = None
    joint_names: tuple = ()
    spikes: object = None
    spike_cells: tuple = ()
    returns: object = None
    failed: object = None
    input_cells: tuple = field(default=())
    output_cells: tuple = field(default=())

    @property
    def n_env_steps(self):
        """E, the number of environment steps run."""
        return len(self.actions)

    @property
    def time(self):
        """Seconds of physics at each row of the environment-time arrays, shape (E + 1,)."""
        return np.arange(self.n_env_steps + 1) * self.env_dt


# ---------------------------------------------------------------- bodies
def _body_qpos(envs):
    """Joint positions (P, nq) of the bodies, or None for environments without MuJoCo state."""
    physics = getattr(envs, "physics", None)
    if physics is not None:
        return np.array(physics.qpos)
    bodies = getattr(envs, "envs", None)
    if bodies and all(hasattr(getattr(env, "unwrapped", None), "data") for env in bodies):
        return np.array([env.unwrapped.data.qpos for env in bodies])
    return None


def _mujoco_model(envs):
    model = getattr(envs, "model", None)
    if model is None and getattr(envs, "envs", None):
        model = getattr(envs.envs[0].unwrapped, "model", None)
    return model


def _env_dt(envs):
    """Seconds of physics per environment step (NaN when the environment does not say)."""
    dt = getattr(envs, "dt", None)
    if dt is None and getattr(envs, "envs", None):
        dt = getattr(envs.envs[0].unwrapped, "dt", None)
    return math.nan if dt is None else float(dt)


def _actuated_joints(envs):
    """``(qpos addresses, names)`` of the joints the actuators drive, or ``(None, ())``."""
    model = _mujoco_model(envs)
    if model is None or not hasattr(model, "actuator_trnid"):
        return None, ()
    import mujoco

    joints = [int(j) for j in model.actuator_trnid[:, 0] if j >= 0]
    names = tuple(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) or f"joint{j}" for j in joints)
    return np.asarray(model.jnt_qposadr[joints], dtype=np.int64), names


# ---------------------------------------------------------------- one episode
class Rollout:
    """One closed-loop episode's bookkeeping, the same for every backend.

    The backend calls :meth:`begin` once, then runs K neural steps and calls
    :meth:`advance` with the window's spike counts, until :attr:`finished`.
    """

    def __init__(self, controller, envs, network, env_seeds, episode_steps, record_cells=None, env_id=""):
        self.controller = controller
        self.envs = envs
        self.network = network
        self.env_seeds = env_seeds
        self.episode_steps = episode_steps
        self.env_id = env_id
        P = controller.n_individuals
        self.returns = np.zeros(P)
        self.active = np.ones(P, dtype=bool)
        self.env_step = 0
        self.finished = False
        self.recording = record_cells is not None
        if self.recording:
            circuit = controller.layout.circuit
            self.spike_cells = tuple(record_cells)
            self.spike_positions = circuit.index_of(self.spike_cells)
            self._observations, self._actions, self._rewards, self._qpos = [], [], [], []
            self.spikes = np.zeros((episode_steps * controller.neural_steps_per_env_step, P, len(self.spike_cells)),
                                   dtype=bool)

    def _fail(self, bad):
        """Fail individuals (in the network too, so that every backend treats them alike)."""
        newly = np.flatnonzero(bad & ~self.network.failed)
        if len(newly):
            self.network.fail(newly)

    def _encode(self, observations):
        with np.errstate(invalid="ignore"):
            self._fail(~np.isfinite(observations).all(axis=1))
        current = self.controller.encode(observations)
        current[self.network.failed] = 0.0
        return current

    def _remember(self, observations, actions=None, rewards=None):
        if not self.recording:
            return
        self._observations.append(np.array(observations))
        self._qpos.append(_body_qpos(self.envs))
        if actions is not None:
            self._actions.append(np.array(actions))
            self._rewards.append(np.array(rewards))

    def begin(self):
        """Reset the environments; return the input current of the first window (P, n_inputs)."""
        observations, _ = self.envs.reset(seed=list(self.env_seeds))
        self._remember(observations)
        return self._encode(observations)

    def advance(self, spike_counts):
        """End a window: check divergence, decode, step the bodies; return the next window's current."""
        self.network.check_divergence()
        actions = self.controller.decode(spike_counts)
        with np.errstate(invalid="ignore"):
            self._fail(~np.isfinite(actions).all(axis=1))
        actions[self.network.failed] = 0.0
        observations, rewards, terminations, truncations, _ = self.envs.step(actions)
        self.returns += np.where(self.active, rewards, 0.0)
        self.active &= ~(np.asarray(terminations) | np.asarray(truncations))
        self.env_step += 1
        self.finished = self.env_step >= self.episode_steps or not self.active.any()
        self._remember(observations, actions, rewards)
        return self._encode(observations)

    def record_spikes(self, neural_step, spikes):
        """Store one neural step's spikes (P, N) of the recorded cells (reference backend)."""
        if self.recording:
            self.spikes[neural_step] = spikes[:, self.spike_positions]

    def final_returns(self):
        returns = self.returns.copy()
        returns[self.network.failed] = -np.inf
        return returns

    def record(self, neural_dt_ms):
        """The :class:`RolloutRecord` of the finished episode."""
        K = self.controller.neural_steps_per_env_step
        circuit = self.controller.layout.circuit
        qpos = None if self._qpos[0] is None else np.stack(self._qpos)
        head_position = joint_angles = None
        addresses, joint_names = _actuated_joints(self.envs)
        if qpos is not None:
            n_root = getattr(self.envs, "n_root_positions", None)
            if n_root:
                head_position = qpos[:, :, :n_root]
            if addresses is not None:
                joint_angles = qpos[:, :, addresses]
        return RolloutRecord(
            env_id=self.env_id, env_dt=_env_dt(self.envs), neural_dt_ms=neural_dt_ms, neural_steps_per_env_step=K,
            observations=np.stack(self._observations),
            actions=np.stack(self._actions) if self._actions else np.zeros((0, len(self.returns), 0)),
            rewards=np.stack(self._rewards) if self._rewards else np.zeros((0, len(self.returns))),
            head_position=head_position, joint_angles=joint_angles, joint_names=joint_names,
            spikes=self.spikes[: self.env_step * K], spike_cells=self.spike_cells,
            returns=self.final_returns(), failed=self.network.failed.copy(),
            input_cells=tuple(circuit.inputs), output_cells=tuple(circuit.outputs),
        )


def run_reference_loop(network, rollout):
    """The closed loop on the NumPy reference: K ``step`` calls per environment step."""
    K = rollout.controller.neural_steps_per_env_step
    P, N = network.n_individuals, network.n_neurons
    circuit = rollout.controller.layout.circuit
    inputs, outputs = circuit.input_index, circuit.output_index
    current = np.zeros((P, N))
    current[:, inputs] = rollout.begin()
    neural_step = 0
    while not rollout.finished:
        counts = np.zeros((P, len(outputs)))
        for _ in range(K):
            spikes = network.step(current, check_divergence=False)
            counts += spikes[:, outputs]
            rollout.record_spikes(neural_step, spikes)
            neural_step += 1
        current = np.zeros((P, N))
        current[:, inputs] = rollout.advance(counts)


def run_brian_loop(network, rollout):
    """The closed loop on Brian2: one ``run()`` per episode, one ``NetworkOperation`` per environment step."""
    import brian2

    K = rollout.controller.neural_steps_per_env_step
    neurons = network.neurons
    spike_count = neurons.variables["spike_count"].get_value()  # live arrays (runtime device)
    external = neurons.variables["I_ext"].get_value()
    inputs, outputs = network.inputs.ravel(), network.outputs
    shape = outputs.shape

    def end_window():
        counts = spike_count[outputs.ravel()].reshape(shape)
        spike_count[:] = 0.0
        return rollout.advance(counts)

    def environment_step():
        if not started[0]:
            started[0] = True
            current = rollout.begin()
        elif rollout.finished:  # every episode ended early: idle until run() returns
            network.network.stop()
            return
        else:
            current = end_window()
        external[inputs] = current.ravel()

    started = [False]
    operation = brian2.NetworkOperation(environment_step, dt=K * network.dt, when="start", order=-10,
                                        name="closed_loop")
    extra = [operation]
    monitor = None
    if rollout.recording:
        monitor = brian2.SpikeMonitor(neurons, name="spikes", codeobj_class=neurons.codeobj_class)
        extra.append(monitor)
    network.network.add(*extra)
    # Every episode starts at t = 0, so that the operation's clock (ticks at multiples of K·dt)
    # lines up with neural step 0 even after an episode that stopped early.
    network.network.t_ = 0.0
    try:
        network.network.run(rollout.episode_steps * K * network.dt, namespace={})
    finally:
        network.network.remove(*extra)
    if not rollout.finished:
        end_window()
    if monitor is not None:
        steps = np.round(np.asarray(monitor.t_[:]) / float(network.dt)).astype(np.int64)
        flat = np.asarray(monitor.i[:], dtype=np.int64)
        individual, position = np.divmod(flat, network.n_neurons)
        column = np.full(network.n_neurons, -1)
        column[rollout.spike_positions] = np.arange(len(rollout.spike_positions))
        keep = (column[position] >= 0) & (steps < len(rollout.spikes))
        rollout.spikes[steps[keep], individual[keep], column[position[keep]]] = True
