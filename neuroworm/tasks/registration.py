"""Registering neuroworm's environments with gymnasium, and making batched ones.

Importing :mod:`neuroworm.tasks` registers, by string entry point (so MuJoCo is
imported only when an environment is made):

* ``neuroworm/Swimmer6-v0``: the 6-link, 5-rotor Swimmer of Schmidgall et al.
  (2023), gymnasium's ``SwimmerEnv`` on :func:`~neuroworm.tasks.swimmer_xml`;
* ``neuroworm/SwimmerN-v0``: the same with ``n_links`` links (default 3,
  which is ``Swimmer-v5``).

Both also have a ``vector_entry_point``, so ``gymnasium.make_vec`` builds the
batched :class:`~neuroworm.tasks.BatchedSwimmer` for them by default. The
batched MuJoCo bodies of gymnasium's own ``Swimmer-v5`` and
``HalfCheetah-v5`` are added to those ids' registered specs as their
``vector_entry_point`` (:data:`VECTOR_ENTRY_POINTS`): gymnasium's registry is
the one place that says which batched implementation an id has.
"""

import dataclasses

import gymnasium

from neuroworm.errors import TaskError

__all__ = ["BATCHED_ENV_IDS", "NEUROWORM_ENV_IDS", "VECTOR_ENTRY_POINTS", "make_vec", "register_envs"]

_SWIMMER = "neuroworm.tasks.batched_mujoco:BatchedSwimmer"
_HALF_CHEETAH = "neuroworm.tasks.batched_mujoco:BatchedHalfCheetah"

#: Batched MuJoCo bodies given to gymnasium's own ids as their ``vector_entry_point`` (by :func:`register_envs`).
VECTOR_ENTRY_POINTS = {
    "Swimmer-v5": _SWIMMER,
    "HalfCheetah-v5": _HALF_CHEETAH,
}

#: Environment ids with a fast batched MuJoCo implementation, and its entry point (as registered with gymnasium).
BATCHED_ENV_IDS = {
    **VECTOR_ENTRY_POINTS,
    "neuroworm/Swimmer6-v0": _SWIMMER,
    "neuroworm/SwimmerN-v0": _SWIMMER,
}

#: The environments neuroworm registers, with their default keyword arguments.
NEUROWORM_ENV_IDS = {
    "neuroworm/Swimmer6-v0": {"n_links": 6},
    "neuroworm/SwimmerN-v0": {"n_links": 3},
}


def register_envs():
    """Register neuroworm's environments with gymnasium (idempotent).

    Called when :mod:`neuroworm.tasks` is imported.  Ids already registered
    are left as they are, except that gymnasium's ``Swimmer-v5`` and
    ``HalfCheetah-v5`` get the batched bodies as ``vector_entry_point``
    where they have none.
    """
    for env_id, entry_point in VECTOR_ENTRY_POINTS.items():
        spec = gymnasium.registry.get(env_id)
        if spec is not None and spec.vector_entry_point is None:
            gymnasium.registry[env_id] = dataclasses.replace(spec, vector_entry_point=entry_point)
    for env_id, kwargs in NEUROWORM_ENV_IDS.items():
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point="neuroworm.tasks.swimmer_model:swimmer_env",
            vector_entry_point=BATCHED_ENV_IDS[env_id],
            max_episode_steps=1000,
            kwargs=dict(kwargs),
        )
    if "neuroworm/TMaze-v0" not in gymnasium.registry:  # Bertens & Lee (2019), see neuroworm.tasks.tmaze
        gymnasium.register(id="neuroworm/TMaze-v0", entry_point="neuroworm.tasks.tmaze:TMazeEnv",
                           vector_entry_point="neuroworm.tasks.tmaze:TMazeVectorEnv", max_episode_steps=100)


def _is_neuroworms(entry_point):
    return isinstance(entry_point, str) and entry_point.startswith("neuroworm.")


def make_vec(env_id, num_envs, **kwargs):
    """Make ``num_envs`` copies of an environment behind the ``VectorEnv`` API.

    An id whose gymnasium spec has a ``vector_entry_point`` in neuroworm
    gives that batched environment: for ``Swimmer-v5``, ``HalfCheetah-v5``,
    ``neuroworm/Swimmer6-v0`` and ``neuroworm/SwimmerN-v0`` the batched MuJoCo
    bodies, which match
    ``gymnasium.make_vec(env_id, num_envs, vectorization_mode="sync")``
    observation for observation but step all bodies without a gymnasium call
    per body.  Any other registered id gives that ``SyncVectorEnv`` (also
    ids with gymnasium's own vector environments, such as ``CartPole-v1``,
    whose autoreset and spaces can differ from the single environment's).

    Parameters
    ----------
    env_id : str
        A gymnasium environment id.
    num_envs : int
        Number of environments (the population size P).
    **kwargs
        Environment arguments (``frame_skip``, ``ctrl_cost_weight``,
        ``n_links``, ``max_episode_steps``, ...), over the id's registered
        defaults.  The batched environments also take ``num_threads`` and
        ``stepper`` (see :class:`~neuroworm.tasks.BatchedMujocoEnv`).

    Returns
    -------
    gymnasium.vector.VectorEnv

    Raises
    ------
    TaskError
        If ``env_id`` is not registered with gymnasium.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroworm.tasks import make_vec
    >>> envs = make_vec("neuroworm/Swimmer6-v0", num_envs=4)
    >>> observations, infos = envs.reset(seed=0)
    >>> observations.shape
    (4, 14)
    >>> actions = np.zeros((4, 5))
    >>> observations, rewards, terminations, truncations, infos = envs.step(actions)
    >>> envs.close()
    """
    try:
        spec = gymnasium.spec(env_id)
    except gymnasium.error.Error as error:
        raise TaskError(f"unknown environment id {env_id!r}: {error}") from None
    if not _is_neuroworms(spec.vector_entry_point):
        return gymnasium.make_vec(env_id, num_envs, vectorization_mode="sync", **kwargs)
    envs = gymnasium.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", **kwargs)
    envs.spec = dataclasses.replace(envs.spec, kwargs={**envs.spec.kwargs, "num_envs": num_envs},
                                    max_episode_steps=envs.spec.kwargs.get("max_episode_steps",
                                                                           spec.max_episode_steps))
    return envs


register_envs()


def task_dimensions(env_id, **kwargs):
    """Sizes of one environment's observation and action vectors.

    Parameters
    ----------
    env_id : str
        Any id :func:`make_vec` accepts.
    **kwargs
        Passed to the environment (e.g. ``n_links`` for ``neuroworm/SwimmerN-v0``).

    Returns
    -------
    n_observations, n_actions : int
        Flattened sizes; for a discrete action space, its number of actions.

    Raises
    ------
    TaskError
        If ``env_id`` is not a registered environment.
    """
    import gymnasium

    envs = make_vec(env_id, 1, **kwargs)
    try:
        observation_space = envs.single_observation_space
        action_space = envs.single_action_space
    finally:
        envs.close()
    n_observations = gymnasium.spaces.flatdim(observation_space)
    if isinstance(action_space, gymnasium.spaces.Discrete):
        return n_observations, int(action_space.n)
    return n_observations, gymnasium.spaces.flatdim(action_space)
