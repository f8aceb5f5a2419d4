"""Scripted reference agents for the T-maze, and the numbers every ENU result is set beside.

Four agents, each acting in ``n`` mazes at once from what a network sees
(the three sensors and the last reward), never from the maze's hidden state:

* :class:`RandomAgent`: uniform random actions;
* :class:`AlwaysLeftAgent`: walks to the junction, turns left, eats;
* :class:`TasteThenSwitchAgent`: the behaviour of Bertens & Lee's Fig. 9:
  it eats what it first finds, learns from the reward which colour is food,
  goes back to the side where it last ate food, and after a poison meal
  takes the other arm; once it knows the colours it turns away from a red
  end it sees instead of eating it;
* :class:`OracleAgent`: the same, knowing from the start that green is food
  (the best the sensors allow; it never eats poison).

:func:`run_agent` steps an agent through held-out mazes
(:class:`~neuroworm.tasks.tmaze.TMazeCore`, no Python loop over mazes) and
:func:`switch_after_poison` measures the paper's one-shot learning: after
a poison meal, is the next meal at the other end?

References
----------
.. [1] P. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §4.4, Fig. 9.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..seeding import make_rng
from ..validation import check_positive_int
from .tmaze import ACTIONS, TMazeCore

__all__ = ["REFERENCE_AGENTS", "AgentRollout", "AlwaysLeftAgent", "OracleAgent", "RandomAgent",
           "TasteThenSwitchAgent", "run_agent", "switch_after_poison"]

_FORWARD, _LEFT, _RIGHT, _NONE = (ACTIONS.index(name) for name in ("forward", "left", "right", "none"))
_GREEN, _RED = 1, 2  # sensor indices


def _colour_ahead(observation):
    """1 green, 2 red, -1 neither, shape (n,)."""
    observation = np.asarray(observation)
    return np.where(observation[:, _GREEN] > 0.5, _GREEN, np.where(observation[:, _RED] > 0.5, _RED, -1))


class RandomAgent:
    """Uniformly random actions (forward, left, right, none)."""

    name = "random"

    def reset(self, n, rng):
        """Start ``n`` agents; ``rng`` draws the actions."""
        self.rng = rng

    def act(self, observation, reward):
        """Actions for observations (n, 3) and last rewards (n,)."""
        return self.rng.integers(0, len(ACTIONS), len(observation))


class AlwaysLeftAgent:
    """Forward until a wall is ahead (the junction), then left; eats whatever the left end holds."""

    name = "always-left"

    def reset(self, n, rng):
        """Start ``n`` agents."""

    def act(self, observation, reward):
        """Actions for observations (n, 3) and last rewards (n,)."""
        return np.where(np.asarray(observation)[:, 0] > 0.5, _LEFT, _FORWARD)


class TasteThenSwitchAgent:
    """Bertens & Lee's Fig. 9 behaviour, scripted: taste, remember, switch.

    At the junction it turns to the side where it last ate food (left at
    first).  Facing an end it eats, unless it knows the colour there is
    poison, in which case it turns around and walks to the other end.  A
    reward teaches it the colour of food (the colour it saw before eating,
    or the other one after poison) and the side to prefer (the side eaten
    after food, the other side after poison).

    Parameters
    ----------
    knows_colours : bool
        Know from the start that green is food (:class:`OracleAgent`).
    """

    name = "taste-then-switch"

    def __init__(self, knows_colours=False):
        self.knows_colours = bool(knows_colours)

    def reset(self, n, rng):
        """Start ``n`` agents with no knowledge (or the colours, for the oracle)."""
        self.preferred_side = np.zeros(n, dtype=np.int64)  # 0 left, 1 right
        self.going = np.zeros(n, dtype=np.int64)  # the side it is walking to
        self.food_colour = np.full(n, _GREEN if self.knows_colours else -1, dtype=np.int64)
        self.turns_left = np.zeros(n, dtype=np.int64)  # right turns still to make when turning around
        self.last_seen = np.full(n, -1, dtype=np.int64)

    def act(self, observation, reward):
        """Actions for observations (n, 3) and the rewards (n,) of the previous actions."""
        reward = np.asarray(reward)
        fed, poisoned = reward > 0, reward < 0
        self.food_colour = np.where(fed, self.last_seen, np.where(poisoned, 3 - self.last_seen, self.food_colour))
        self.preferred_side = np.where(fed, self.going, np.where(poisoned, 1 - self.going, self.preferred_side))
        self.turns_left[fed | poisoned] = 0
        colour = _colour_ahead(observation)
        wall = np.asarray(observation)[:, 0] > 0.5
        turning = self.turns_left > 0
        poison_ahead = ~turning & (colour > 0) & (self.food_colour > 0) & (colour != self.food_colour)
        at_junction = ~turning & ~poison_ahead & wall
        action = np.where(turning | poison_ahead, _RIGHT,
                          np.where(at_junction, np.where(self.preferred_side == 0, _LEFT, _RIGHT), _FORWARD))
        self.turns_left = np.where(turning, self.turns_left - 1, np.where(poison_ahead, 1, self.turns_left))
        self.going = np.where(poison_ahead, 1 - self.going, np.where(at_junction, self.preferred_side, self.going))
        self.last_seen = colour
        return action


class OracleAgent(TasteThenSwitchAgent):
    """:class:`TasteThenSwitchAgent` that knows from the start that green is food."""

    name = "oracle"

    def __init__(self):
        super().__init__(knows_colours=True)


REFERENCE_AGENTS = {agent.name: agent for agent in (RandomAgent, AlwaysLeftAgent, TasteThenSwitchAgent,
                                                     OracleAgent)}
"""Agent name -> class, in the order the results list them."""


@dataclass(frozen=True)
class AgentRollout:
    """One episode in each of ``n`` mazes.

    Attributes
    ----------
    returns : numpy.ndarray, shape (n,)
    rewards : numpy.ndarray, shape (n, T)
    ate_side : numpy.ndarray of int, shape (n, T)
        End eaten at each action (0 left, 1 right, -1 none).
    alive : numpy.ndarray of bool, shape (n, T)
        Alive after each action.
    """

    returns: np.ndarray
    rewards: np.ndarray
    ate_side: np.ndarray
    alive: np.ndarray


def run_agent(agent, n_mazes, *, seed=None, actions=100, **maze):
    """Run a scripted agent for one episode in ``n_mazes`` mazes.

    Parameters
    ----------
    agent : object
        With ``reset(n, rng)`` and ``act(observation, reward) -> actions``
        (one of :data:`REFERENCE_AGENTS`, instantiated).
    n_mazes : int
    seed : None, int or numpy.random.Generator
        Draws the mazes (and a random agent's actions).
    actions : int
        Actions per episode (paper: 400 network steps / 4 = 100).
    **maze
        Keywords of :class:`~neuroworm.tasks.tmaze.TMazeCore`.

    Returns
    -------
    AgentRollout
    """
    n_mazes = check_positive_int("n_mazes", n_mazes)
    actions = check_positive_int("actions", actions)
    maze_rng, agent_rng = make_rng(seed).spawn(2)
    core = TMazeCore(n_mazes, **maze)
    core.reset(maze_rng)
    agent.reset(n_mazes, agent_rng)
    reward = np.zeros(n_mazes)
    rewards = np.zeros((n_mazes, actions))
    ate_side = np.full((n_mazes, actions), -1, dtype=np.int64)
    alive = np.zeros((n_mazes, actions), dtype=bool)
    for step in range(actions):
        reward, _ = core.step(agent.act(core.observe(), reward), maze_rng)
        rewards[:, step], ate_side[:, step], alive[:, step] = reward, core.ate_side, core.alive
    return AgentRollout(returns=rewards.sum(axis=1), rewards=rewards, ate_side=ate_side, alive=alive)


def switch_after_poison(rewards, ate_side, *, horizon=10):
    """How often the meal after a poison meal is at the other end.

    A case is a poison meal eaten at least ``horizon`` actions before the
    episode ends (time to reach the other end; the maze's energy by
    default).  It counts as a switch when the next meal, food or poison, is
    at the other end; an agent that dies or never eats again does not
    switch.

    Parameters
    ----------
    rewards, ate_side : array_like, shape (..., T)
        As in :class:`AgentRollout` (``ate_side`` may be derived from the
        food side and the reward's sign).
    horizon : int

    Returns
    -------
    switched, cases : int
    fed_next : int
        Cases whose next meal is food.
    """
    rewards = np.asarray(rewards)
    ate_side = np.asarray(ate_side)
    if rewards.shape != ate_side.shape:
        raise ConfigError(f"rewards and ate_side must have the same shape, got {rewards.shape} and {ate_side.shape}")
    steps = rewards.shape[-1]
    time = np.arange(steps)
    meal_at = np.where(rewards != 0, time, steps)
    next_meal = np.minimum.accumulate(meal_at[..., ::-1], axis=-1)[..., ::-1]  # first meal at or after t
    after = np.concatenate([next_meal[..., 1:], np.full(rewards.shape[:-1] + (1,), steps)], axis=-1)
    cases = (rewards < 0) & (time < steps - horizon)
    has_next = after < steps
    index = np.minimum(after, steps - 1)
    next_side = np.take_along_axis(ate_side, index, axis=-1)
    next_reward = np.take_along_axis(rewards, index, axis=-1)
    switched = cases & has_next & (next_side != ate_side)
    fed_next = cases & has_next & (next_reward > 0)
    return int(switched.sum()), int(cases.sum()), int(fed_next.sum())
