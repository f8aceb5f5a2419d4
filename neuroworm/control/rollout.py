"""One closed-loop episode of P networks driving P bodies, the same for every backend.

The loop, for P individuals at once (K = ``neural_steps_per_env_step``)::

    o_0 = envs.reset(seed=...)
    for e in 0 .. E-1:
        I = encode(o_e)                               (held for K neural steps)
        c = activity of the output units over neural steps e·K .. e·K + K-1
        a_e = decode(c)
        o_{e+1}, r_e = envs.step(a_e)
        return += r_e                                 (until the individual's episode ends)

:class:`Rollout` keeps the books of one episode (environments, controller,
returns, failures, record). A backend
(:class:`~neuroworm.backends.NetworkPopulation`) drives it through its
``run_episode(rollout)``: it calls :meth:`Rollout.begin` once, runs K neural
steps, and calls :meth:`Rollout.advance` with the window's summed output
activity, until :attr:`Rollout.finished`. The protocol's default does this
with one ``advance(current, K)`` per environment step; the NumPy reference
also records spikes step by step; Brian2 runs the whole episode in one
``Network.run`` (:mod:`neuroworm.brian.closed_loop`). The reference and
Brian2 give the same returns and records bit for bit.

Every backend checks for divergence once per environment step, at the same
point of the loop (in :meth:`Rollout.advance`, after the window's K steps),
rather than after every neural step: the check costs about as much as a
neural step of the population, and a diverged individual is failed either
way. Failed individuals (NaN/inf state or observation, or a non-finite
action) get zero actions and current from then on and the return ``-inf``,
which the evolution driver treats as failed; the others are not affected
(the copies of the network never touch).

An individual whose environment terminates or truncates before the episode's
end stops accumulating reward (the bodies reset on the next step and are
ignored); when every individual's episode has ended, the loop stops.

Body state for the record (head position, joint angles) comes from the
environment's documented ``body_state()`` and ``joint_names``
(:class:`neuroworm.tasks.BatchedMujocoEnv`); environments without them give
``None``. This module imports neither Brian2 nor MuJoCo.
"""

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Rollout", "RolloutRecord"]


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
        Position of the body's root (the environment's ``body_state()``):
        x and y of the head segment for the swimmers, x of the torso for
        HalfCheetah; ``None`` for environments without body state.
    joint_angles : numpy.ndarray, shape (E + 1, P, n_joints) or None
        Angles (rad) of the actuated joints (``body_state()``).
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
def _body_state(envs):
    """``{"head_position", "joint_angles"}`` of the bodies now, or None when the environment has no body state."""
    body_state = getattr(envs, "body_state", None)
    return None if body_state is None else body_state()


def _env_dt(envs):
    """Seconds of physics per environment step (NaN when the environment does not say)."""
    dt = getattr(envs, "dt", None)
    if dt is None and getattr(envs, "envs", None):
        dt = getattr(envs.envs[0].unwrapped, "dt", None)
    return math.nan if dt is None else float(dt)


# ---------------------------------------------------------------- one episode
class Rollout:
    """One closed-loop episode's bookkeeping, the same for every backend.

    The backend calls :meth:`begin` once, then runs K neural steps and calls
    :meth:`advance` with the window's summed output activity (spike counts),
    until :attr:`finished`.
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
            self._observations, self._actions, self._rewards, self._bodies = [], [], [], []
            self.spikes = np.zeros((episode_steps * controller.neural_steps_per_env_step, P, len(self.spike_cells)),
                                   dtype=bool)

    @property
    def neural_steps_per_env_step(self):
        """K, the neural steps of one environment step."""
        return self.controller.neural_steps_per_env_step

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
        self._bodies.append(_body_state(self.envs))
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
        head_position = joint_angles = None
        joint_names = ()
        if self._bodies[0] is not None:
            head_position = np.stack([body["head_position"] for body in self._bodies])
            joint_angles = np.stack([body["joint_angles"] for body in self._bodies])
            joint_names = tuple(self.envs.joint_names)
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
