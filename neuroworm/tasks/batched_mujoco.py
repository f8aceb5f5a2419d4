"""Batched MuJoCo locomotion tasks: P Swimmers or HalfCheetahs stepped together.

A generation of P individuals is evaluated on P bodies at once, behind
gymnasium's :class:`gymnasium.vector.VectorEnv` API.  The environments give
exactly what ``gymnasium.make_vec(env_id, P, vectorization_mode="sync")``
gives for the same seeds and actions: the same observations, rewards,
terminations, truncations and resets (the tests check them over full
1000-step episodes to 1e-9), without a gymnasium call per body per step.

How it stays exact:

* one :class:`mujoco.MjModel` and one full simulation state per body (an
  ``MjData`` each, or a row of ``mujoco.batch``), so each body keeps its
  solver warm start between steps (see :mod:`neuroworm.tasks.physics`);
* each body has its own random generator, seeded as gymnasium seeds one
  environment (``reset(seed=s)`` seeds bodies ``s, s+1, ...``; ``None`` keeps
  the current generators), and reset noise is drawn in gymnasium's order;
* rewards use gymnasium's formulas in the dtype of the actions given (a
  float32 action has its control cost summed in float32, as gymnasium does);
* episodes end as under gymnasium's ``TimeLimit`` wrapper and restart with
  :attr:`gymnasium.vector.AutoresetMode.NEXT_STEP`, the default of
  gymnasium's ``SyncVectorEnv`` and ``AsyncVectorEnv``: the step after a body's
  episode ends resets it, ignores its action, and reports reward 0,
  ``terminated = truncated = False`` and the reset observation and info.
"""

from typing import ClassVar

import numpy as np
from gymnasium.spaces import Box
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from neuroworm.errors import TaskError
from neuroworm.limits import require_memory
from neuroworm.tasks.physics import make_physics
from neuroworm.validation import check_positive_int, check_real_array

__all__ = ["BatchedHalfCheetah", "BatchedMujocoEnv", "BatchedSwimmer"]


def _positive_int(name, value):
    return check_positive_int(name, value, error=TaskError)


def _resolve_xml_file(xml_file):
    """Find a model file as gymnasium does: bare names live in gymnasium's assets."""
    from gymnasium.envs.mujoco.mujoco_env import expand_model_path

    try:
        return expand_model_path(str(xml_file))
    except OSError as error:
        raise TaskError(f"xml_file {xml_file!r}: no such MuJoCo model file ({error})") from None


class BatchedMujocoEnv(VectorEnv):
    """P bodies of one MuJoCo model rewarded for moving along +x (base class).

    Subclasses set the model file, how many leading ``qpos`` entries are the
    root's position (:attr:`n_root_positions`), the reset noise of the
    velocities and the ``info`` keys; they follow one gymnasium environment.

    Parameters
    ----------
    num_envs : int
        Number of bodies P.
    xml_file : str
        MuJoCo model; a bare file name is looked up in gymnasium's assets.
    frame_skip : int
        MuJoCo steps per environment step.
    forward_reward_weight, ctrl_cost_weight : float
        Weights of the forward-velocity reward and the control cost.
    reset_noise_scale : float
        Scale of the noise added to the initial ``qpos`` and ``qvel``.
    exclude_current_positions_from_observation : bool
        Leave the root's position out of the observation.
    max_episode_steps : int or None, default 1000
        Steps after which an episode is truncated (gymnasium's ``TimeLimit``);
        ``None`` never truncates.
    num_threads : int, optional
        Threads stepping the physics; ``None`` uses every available core.
    stepper : {"auto", "batch", "threads"}, default "auto"
        How the bodies are stepped (see :func:`neuroworm.tasks.physics.make_physics`):
        ``"batch"`` is ``mujoco.batch`` (MuJoCo >= 4, the faster), ``"threads"``
        a thread pool over P ``MjData``; ``"auto"`` takes ``"batch"`` where it
        exists.  Both are exact.
    physics_backend : None
        The old name of ``stepper``; giving it raises :class:`TaskError`
        ("backend" names the network populations of :mod:`neuroworm.backends`).
    """

    #: Leading ``qpos`` entries giving the root's position (x, or x and y).
    n_root_positions = 1
    #: No rendering; gymnasium's default autoreset mode (see the module docstring).
    metadata: ClassVar[dict] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs,
        *,
        xml_file,
        frame_skip,
        forward_reward_weight,
        ctrl_cost_weight,
        reset_noise_scale,
        exclude_current_positions_from_observation=True,
        max_episode_steps=1000,
        num_threads=None,
        stepper="auto",
        physics_backend=None,
    ):
        import mujoco

        if physics_backend is not None:
            raise TaskError(f"physics_backend={physics_backend!r}: the keyword is now 'stepper' "
                            f"(stepper={physics_backend!r})")
        self.num_envs = _positive_int("num_envs", num_envs)
        # measured 15 KiB of simulator state per Swimmer-v5 body; 32 KiB leaves room for longer bodies
        require_memory(self.num_envs * 32 * 2**10, f"{self.num_envs} simulated bodies", error=TaskError,
                       advice="simulate fewer bodies at once")
        self.frame_skip = _positive_int("frame_skip", frame_skip)
        self.max_episode_steps = (
            None if max_episode_steps is None else _positive_int("max_episode_steps", max_episode_steps)
        )
        self.xml_file = _resolve_xml_file(xml_file)
        # kept as given, not cast: their type sets the reward's dtype as in gymnasium
        self._forward_reward_weight = forward_reward_weight
        self._ctrl_cost_weight = ctrl_cost_weight
        self._reset_noise_scale = reset_noise_scale
        self._exclude_current_positions_from_observation = bool(exclude_current_positions_from_observation)

        self.model = mujoco.MjModel.from_xml_path(self.xml_file)
        self.physics = make_physics(
            self.model, self.num_envs, stepper=stepper, num_threads=num_threads
        )
        template = mujoco.MjData(self.model)
        self.init_qpos = template.qpos.ravel().copy()
        self.init_qvel = template.qvel.ravel().copy()

        skipped = self.n_root_positions * self._exclude_current_positions_from_observation
        self.observation_structure = {
            "skipped_qpos": skipped,
            "qpos": self.model.nq - skipped,
            "qvel": self.model.nv,
        }
        self._skipped_qpos = skipped
        self.single_observation_space = Box(
            low=-np.inf, high=np.inf, shape=(self.model.nq + self.model.nv - skipped,), dtype=np.float64
        )
        low, high = self.model.actuator_ctrlrange.copy().astype(np.float32).T
        self.single_action_space = Box(low=low, high=high, dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.metadata = {**type(self).metadata, "render_fps": int(np.round(1.0 / self.dt))}

        self._elapsed_steps = np.zeros(self.num_envs, dtype=np.int64)
        self._autoreset_envs = np.zeros(self.num_envs, dtype=np.bool_)
        self._body_rngs = [None] * self.num_envs
        self._body_seeds = [None] * self.num_envs

    # ------------------------------------------------------------------ body state

    @property
    def joint_names(self):
        """Names of the joints the actuators drive, in actuator order."""
        import mujoco

        joints = [int(j) for j in self.model.actuator_trnid[:, 0] if j >= 0]
        return tuple(mujoco.mj_id2name(self.model, mujoco.mjtObj.mjOBJ_JOINT, j) or f"joint{j}" for j in joints)

    def body_state(self):
        """Where the bodies are now, for plots and gait analysis (copies).

        Returns
        -------
        dict
            ``"head_position"``: (P, :attr:`n_root_positions`), the root's
            position from ``qpos`` (x and y of the head segment for the
            swimmers, x of the torso for HalfCheetah);
            ``"joint_angles"``: (P, n_actuated), angles (rad) of the
            actuated joints, named by :attr:`joint_names`.
        """
        joints = [int(j) for j in self.model.actuator_trnid[:, 0] if j >= 0]
        addresses = np.asarray(self.model.jnt_qposadr[joints], dtype=np.int64)
        qpos = np.array(self.physics.qpos)
        return {"head_position": qpos[:, : self.n_root_positions], "joint_angles": qpos[:, addresses]}

    # ------------------------------------------------------------------ gymnasium API

    @property
    def dt(self):
        """Duration of one environment step in seconds (``timestep * frame_skip``)."""
        return self.model.opt.timestep * self.frame_skip

    @property
    def np_random(self):
        """The bodies' random generators, as ``SyncVectorEnv.np_random`` gives them."""
        return tuple(self._body_rng(i) for i in range(self.num_envs))

    @property
    def np_random_seed(self):
        """The seeds of the bodies' generators (-1 where set directly)."""
        self.np_random  # noqa: B018  (creates the missing generators)
        return tuple(self._body_seeds)

    def reset(self, *, seed=None, options=None):
        """Reset every body (or those in ``options["reset_mask"]``) to a noisy initial state.

        Parameters
        ----------
        seed : None, int or list of (int or None)
            As for ``SyncVectorEnv``: ``None`` keeps each body's generator
            (creating a random one the first time), an int ``s`` seeds body i
            with ``s + i``, a list gives one seed per body.
        options : dict, optional
            ``{"reset_mask": bool array of shape (num_envs,)}`` resets only
            the masked bodies; other options are ignored, as by gymnasium's
            MuJoCo environments.

        Returns
        -------
        observations : numpy.ndarray, shape (num_envs, obs_dim)
        infos : dict
            Vector-env infos (arrays plus ``_key`` masks).
        """
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise TaskError(f"reset: got {len(seeds)} seeds for num_envs={self.num_envs} bodies")

        mask = np.ones(self.num_envs, dtype=np.bool_)
        if options is not None and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"])
            if mask.shape != (self.num_envs,) or mask.dtype != np.bool_ or not mask.any():
                raise TaskError(
                    f"options['reset_mask'] must be a bool array of shape ({self.num_envs},) "
                    f"with at least one True, got {mask!r}"
                )
        reset_ids = np.flatnonzero(mask)
        for body_id in reset_ids:
            if seeds[body_id] is not None:
                self._body_rngs[body_id], self._body_seeds[body_id] = seeding.np_random(seeds[body_id])
        self._reset_bodies(reset_ids)
        self._autoreset_envs[reset_ids] = False
        return self._observations(), self._reset_infos(mask)

    def step(self, actions):
        """Step every body one environment step (``frame_skip`` MuJoCo steps).

        Bodies whose episode ended on the previous step are reset instead
        (``AutoresetMode.NEXT_STEP``): their action is ignored, their reward
        is 0 and their observation is the new episode's first.

        Parameters
        ----------
        actions : array_like, shape (num_envs, nu)
            Controls; values outside the control range are clipped by MuJoCo
            but pay the control cost as given, as in gymnasium. NaN, ±inf
            and complex values raise :class:`~neuroworm.errors.TaskError`
            (gymnasium would return NaN rewards).

        Returns
        -------
        observations : numpy.ndarray, shape (num_envs, obs_dim), float64
        rewards : numpy.ndarray, shape (num_envs,), float64
        terminations : numpy.ndarray, shape (num_envs,), bool
            Always False: these bodies never fail.
        truncations : numpy.ndarray, shape (num_envs,), bool
            True where the episode reached ``max_episode_steps``.
        infos : dict
            Vector-env infos: per-body step keys (masked to the stepped
            bodies) and reset keys (masked to the reset bodies).
        """
        actions = np.asarray(actions)
        expected = (self.num_envs, self.model.nu)
        if actions.shape != expected:
            raise TaskError(f"actions must have shape {expected} (num_envs, nu), got {actions.shape}")
        check_real_array("actions", actions, error=TaskError)  # checked, not cast: the dtype sets the reward's
        if not np.isfinite(actions).all():  # gymnasium passes NaN to MuJoCo and returns NaN rewards; we refuse
            body = int(np.flatnonzero(~np.isfinite(actions).all(axis=1))[0])
            raise TaskError(f"actions must be finite; body {body} got {actions[body].tolist()}")

        reset_ids = np.flatnonzero(self._autoreset_envs)
        stepped = ~self._autoreset_envs
        step_ids = np.flatnonzero(stepped)
        root_before = self.physics.qpos[step_ids, : self.n_root_positions]  # a copy
        stepped_actions = actions[step_ids]

        self.physics.step(step_ids, stepped_actions, self.frame_skip)
        self._reset_bodies(reset_ids)

        root_after = self.physics.qpos[step_ids, : self.n_root_positions]
        root_velocity = (root_after - root_before) / self.dt
        forward_reward = self._forward_reward_weight * root_velocity[:, 0]
        ctrl_cost = self._ctrl_cost_weight * np.sum(np.square(stepped_actions), axis=1)

        rewards = np.zeros(self.num_envs, dtype=np.float64)
        rewards[step_ids] = forward_reward - ctrl_cost
        terminations = np.zeros(self.num_envs, dtype=np.bool_)
        truncations = np.zeros(self.num_envs, dtype=np.bool_)
        self._elapsed_steps[step_ids] += 1
        if self.max_episode_steps is not None:
            truncations[step_ids] = self._elapsed_steps[step_ids] >= self.max_episode_steps
        self._autoreset_envs = terminations | truncations

        step_info = self._step_info(root_after, root_velocity, forward_reward, ctrl_cost)
        infos = _masked_infos(step_info, step_ids, self.num_envs)
        if len(reset_ids):
            reset_mask = ~stepped
            infos.update(self._reset_infos(reset_mask))
        return self._observations(), rewards, terminations, truncations, infos

    def close_extras(self, **kwargs):
        """Stop the physics threads."""
        self.physics.close()

    # ------------------------------------------------------------------ body-specific parts

    def _draw_initial_state(self, rng):
        """Return ``(qpos, qvel)`` of a new episode, drawing noise from ``rng``."""
        raise NotImplementedError

    def _step_info(self, root_position, root_velocity, forward_reward, ctrl_cost):
        """Return the step info of the stepped bodies as ``{key: array (k,)}``."""
        raise NotImplementedError

    def _reset_info(self, root_position):
        """Return the reset info of some bodies as ``{key: array (k,)}``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers

    def _body_rng(self, body_id):
        if self._body_rngs[body_id] is None:
            self._body_rngs[body_id], self._body_seeds[body_id] = seeding.np_random()
        return self._body_rngs[body_id]

    def _reset_bodies(self, body_ids):
        """gymnasium's ``MujocoEnv.reset`` (after seeding) for each body, plus ``TimeLimit``'s counter."""
        if len(body_ids) == 0:
            return
        initial_states = [self._draw_initial_state(self._body_rng(body_id)) for body_id in body_ids]
        qpos, qvel = (np.array(column) for column in zip(*initial_states))
        self.physics.set_state(body_ids, qpos, qvel)
        self._elapsed_steps[body_ids] = 0

    def _observations(self):
        return np.concatenate([self.physics.qpos[:, self._skipped_qpos :], self.physics.qvel], axis=1)

    def _reset_infos(self, mask):
        body_ids = np.flatnonzero(mask)
        return _masked_infos(
            self._reset_info(self.physics.qpos[body_ids, : self.n_root_positions]), body_ids, self.num_envs
        )


def _masked_infos(values, body_ids, num_envs):
    """Lay per-body info values out as gymnasium's vector infos: arrays plus ``_key`` masks."""
    infos = {}
    if len(body_ids) == 0:
        return infos
    mask = np.zeros(num_envs, dtype=np.bool_)
    mask[body_ids] = True
    for key, value in values.items():
        array = np.zeros(num_envs, dtype=np.asarray(value).dtype)
        array[body_ids] = value
        infos[key], infos[f"_{key}"] = array, mask.copy()
    return infos


class BatchedSwimmer(BatchedMujocoEnv):
    r"""P MuJoCo Swimmers stepped together: the batched ``Swimmer-v5`` (and N-link swimmers).

    ## Description

    ``num_envs`` copies of gymnasium's ``Swimmer-v5``: planar chains of
    capsules in a viscous fluid that swim towards +x by torquing their rotors.
    Each body gives what ``gymnasium.make("Swimmer-v5")`` gives for the same
    seed and actions, to 1e-9 over whole episodes.  With ``n_links`` the body
    is the N-link swimmer of :func:`neuroworm.tasks.swimmer_xml`
    (``neuroworm/Swimmer6-v0``: 6 links, 5 rotors, Schmidgall et al. 2023).

    ## Action Space

    ``Box(-1, 1, (num_envs, n_links - 1), float32)`` (``single_action_space``:
    ``(n_links - 1,)``; 2 rotors for ``Swimmer-v5``, 5 for ``Swimmer6``).

    ## Observation Space

    ``Box(-inf, inf, (num_envs, 2 * n_links + 2), float64)`` by default
    (8 for ``Swimmer-v5``, 14 for ``Swimmer6``): head angle, rotor angles,
    head x and y velocity, head angular velocity, rotor angular velocities.
    ``exclude_current_positions_from_observation=False`` prepends the head's
    x and y.

    ## Rewards

    ``forward_reward_weight * dx/dt - ctrl_cost_weight * sum(action**2)``,
    ``dx`` being the head's x displacement over ``dt = frame_skip * 0.01`` s.
    ``info`` holds ``x_position``, ``y_position``, ``distance_from_origin``,
    ``x_velocity``, ``y_velocity``, ``reward_forward`` and ``reward_ctrl``.

    ## Starting State

    ``qpos`` then ``qvel``: zero plus uniform noise on
    ``[-reset_noise_scale, reset_noise_scale]`` from each body's generator.

    ## Episode End

    Never terminates; truncated after ``max_episode_steps`` (1000) steps, then
    reset on the next step (``AutoresetMode.NEXT_STEP``).

    ## Arguments

    ``num_envs`` (int), ``n_links`` (int or None: gymnasium's 3-link model
    file), ``xml_file`` ("swimmer.xml"), ``frame_skip`` (4),
    ``forward_reward_weight`` (1.0), ``ctrl_cost_weight`` (1e-4),
    ``reset_noise_scale`` (0.1),
    ``exclude_current_positions_from_observation`` (True),
    ``max_episode_steps`` (1000), ``num_threads`` (None: all cores),
    ``stepper`` ("auto": ``mujoco.batch`` where available, else a
    thread pool over ``MjData``).

    ## Version History

    * v0: matches gymnasium's ``Swimmer-v5`` (gymnasium 1.x).
    """

    n_root_positions = 2

    def __init__(
        self,
        num_envs,
        *,
        n_links=None,
        xml_file="swimmer.xml",
        frame_skip=4,
        forward_reward_weight=1.0,
        ctrl_cost_weight=1e-4,
        reset_noise_scale=0.1,
        exclude_current_positions_from_observation=True,
        max_episode_steps=1000,
        num_threads=None,
        stepper="auto",
        physics_backend=None,
    ):
        if n_links is not None:
            if xml_file != "swimmer.xml":
                raise TaskError("BatchedSwimmer: give either 'n_links' or 'xml_file', not both")
            from neuroworm.tasks.swimmer_model import swimmer_xml_path

            xml_file = swimmer_xml_path(n_links)
        self.n_links = n_links
        super().__init__(
            num_envs,
            xml_file=xml_file,
            frame_skip=frame_skip,
            forward_reward_weight=forward_reward_weight,
            ctrl_cost_weight=ctrl_cost_weight,
            reset_noise_scale=reset_noise_scale,
            exclude_current_positions_from_observation=exclude_current_positions_from_observation,
            max_episode_steps=max_episode_steps,
            num_threads=num_threads,
            stepper=stepper,
            physics_backend=physics_backend,
        )

    def _draw_initial_state(self, rng):
        low, high = -self._reset_noise_scale, self._reset_noise_scale
        qpos = self.init_qpos + rng.uniform(low=low, high=high, size=self.model.nq)
        qvel = self.init_qvel + rng.uniform(low=low, high=high, size=self.model.nv)
        return qpos, qvel

    def _step_info(self, root_position, root_velocity, forward_reward, ctrl_cost):
        return {
            "x_position": root_position[:, 0],
            "y_position": root_position[:, 1],
            "distance_from_origin": np.linalg.norm(root_position, ord=2, axis=1),
            "x_velocity": root_velocity[:, 0],
            "y_velocity": root_velocity[:, 1],
            "reward_forward": forward_reward,
            "reward_ctrl": -ctrl_cost,
        }

    def _reset_info(self, root_position):
        return {
            "x_position": root_position[:, 0],
            "y_position": root_position[:, 1],
            "distance_from_origin": np.linalg.norm(root_position, ord=2, axis=1),
        }


class BatchedHalfCheetah(BatchedMujocoEnv):
    r"""P MuJoCo HalfCheetahs stepped together: the batched ``HalfCheetah-v5``.

    ## Description

    ``num_envs`` copies of gymnasium's ``HalfCheetah-v5``, a planar robot of
    7 links (a torso and two legs of thigh, shin and foot) running towards +x.
    Each body gives what ``gymnasium.make("HalfCheetah-v5")`` gives for the
    same seed and actions, to 1e-9 over whole episodes.

    ## Action Space

    ``Box(-1, 1, (num_envs, 6), float32)``: torques on back thigh, shin, foot,
    front thigh, shin, foot.

    ## Observation Space

    ``Box(-inf, inf, (num_envs, 17), float64)``: ``qpos`` without the
    torso's x (8: rootz, rooty, six joint angles) then ``qvel`` (9).
    ``exclude_current_positions_from_observation=False`` prepends x (18).

    ## Rewards

    ``forward_reward_weight * dx/dt - ctrl_cost_weight * sum(action**2)``
    with ``dt = frame_skip * 0.01`` s.  ``info`` holds ``x_position``,
    ``x_velocity``, ``reward_forward`` and ``reward_ctrl``.

    ## Starting State

    ``qpos``: zero plus uniform noise on ``[-reset_noise_scale,
    reset_noise_scale]``; then ``qvel``: zero plus ``reset_noise_scale``
    times standard normal noise, from each body's generator.

    ## Episode End

    Never terminates; truncated after ``max_episode_steps`` (1000) steps, then
    reset on the next step (``AutoresetMode.NEXT_STEP``).

    ## Arguments

    ``num_envs`` (int), ``xml_file`` ("half_cheetah.xml"), ``frame_skip`` (5),
    ``forward_reward_weight`` (1.0), ``ctrl_cost_weight`` (0.1),
    ``reset_noise_scale`` (0.1),
    ``exclude_current_positions_from_observation`` (True),
    ``max_episode_steps`` (1000), ``num_threads`` (None: all cores),
    ``stepper`` ("auto": ``mujoco.batch`` where available, else a
    thread pool over ``MjData``).

    ## Version History

    * v0: matches gymnasium's ``HalfCheetah-v5`` (gymnasium 1.x).
    """

    n_root_positions = 1

    def __init__(
        self,
        num_envs,
        *,
        xml_file="half_cheetah.xml",
        frame_skip=5,
        forward_reward_weight=1.0,
        ctrl_cost_weight=0.1,
        reset_noise_scale=0.1,
        exclude_current_positions_from_observation=True,
        max_episode_steps=1000,
        num_threads=None,
        stepper="auto",
        physics_backend=None,
    ):
        super().__init__(
            num_envs,
            xml_file=xml_file,
            frame_skip=frame_skip,
            forward_reward_weight=forward_reward_weight,
            ctrl_cost_weight=ctrl_cost_weight,
            reset_noise_scale=reset_noise_scale,
            exclude_current_positions_from_observation=exclude_current_positions_from_observation,
            max_episode_steps=max_episode_steps,
            num_threads=num_threads,
            stepper=stepper,
            physics_backend=physics_backend,
        )

    def _draw_initial_state(self, rng):
        scale = self._reset_noise_scale
        qpos = self.init_qpos + rng.uniform(low=-scale, high=scale, size=self.model.nq)
        qvel = self.init_qvel + scale * rng.standard_normal(self.model.nv)
        return qpos, qvel

    def _step_info(self, root_position, root_velocity, forward_reward, ctrl_cost):
        return {
            "x_position": root_position[:, 0],
            "x_velocity": root_velocity[:, 0],
            "reward_forward": forward_reward,
            "reward_ctrl": -ctrl_cost,
        }

    def _reset_info(self, root_position):
        return {"x_position": root_position[:, 0]}
