"""The T-maze of Bertens & Lee (2019): food, poison, and a switch, as gymnasium envs.

The maze logic is written once, for arrays of ``n`` mazes
(:class:`TMazeCore`); :class:`TMazeEnv` is one maze behind ``gymnasium.Env``
and :class:`TMazeVectorEnv` is ``n`` of them behind ``gymnasium.vector.VectorEnv``
(registered as ``vector_entry_point``), stepped without a Python loop over
mazes.

References
----------
.. [1] P. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §4.4, Figs. 3, 8-9.
.. [2] R. M. J. Deacon, J. N. P. Rawlins (2006). T-maze alternation in the
   rodent. Nature Protocols 1:7.
"""

from typing import ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from ..errors import ConfigError
from ..limits import require_memory
from ..validation import check_count, check_positive_int

__all__ = ["ACTIONS", "SENSORS", "TMazeCore", "TMazeEnv", "TMazeVectorEnv"]

#: Action index -> meaning.
ACTIONS = ("forward", "left", "right", "none")
#: Observation index -> sensor (each 1 when it sees that in the cell ahead).
SENSORS = ("wall", "green", "red")

_FORWARD, _LEFT, _RIGHT, _NONE = range(4)
_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])  # heading north, east, south, west: (row, column)
_NORTH = 0


class TMazeCore:
    """State and rules of ``n`` T-mazes, as arrays (see :class:`TMazeEnv`).

    Parameters
    ----------
    n : int
        Number of mazes.
    corridor_length, arm_length : int
        Cells from the start to the junction (the start included, the
        junction not), and from the junction to each end.
    energy : int
        Actions an agent lives without food (10 actions = the paper's
        "around 40 time steps" at 4 network steps per action).
    meals_before_switch : (int, int)
        After this many meals (inclusive range, drawn uniformly) food and
        poison swap sides, and the count starts again.
    """

    def __init__(self, n, *, corridor_length=2, arm_length=1, energy=10, meals_before_switch=(3, 6)):
        self.n = check_positive_int("n", n)
        self.corridor_length = check_positive_int("corridor_length", corridor_length)
        self.arm_length = check_positive_int("arm_length", arm_length)
        self.energy_steps = check_positive_int("energy", energy)
        low, high = meals_before_switch
        check_positive_int("meals_before_switch[0]", low)
        if check_positive_int("meals_before_switch[1]", high) < low:
            raise ConfigError(f"meals_before_switch must be (low, high) with low <= high, got {meals_before_switch}")
        self.meals_before_switch = (int(low), int(high))
        # grid: 0 free, 1 wall; row 1 is the arm, the corridor hangs below its middle
        width = 2 * self.arm_length + 3
        height = self.corridor_length + 3
        self.grid = np.ones((height, width), dtype=np.int8)
        self.junction = np.array([1, self.arm_length + 1])
        self.grid[1, 1:width - 1] = 0
        self.grid[2:2 + self.corridor_length, self.junction[1]] = 0
        self.start = np.array([1 + self.corridor_length, self.junction[1]])
        require_memory(self.n * (self.grid.size + 16 * 8), f"{self.n} T-mazes")  # visited maps + 8 int64 states
        self.ends = np.array([[1, 1], [1, width - 2]])  # left end, right end
        self.position = np.zeros((self.n, 2), dtype=np.int64)
        self.heading = np.zeros(self.n, dtype=np.int64)
        self.energy = np.zeros(self.n, dtype=np.int64)
        self.food_side = np.zeros(self.n, dtype=np.int64)  # 0: food at the left end, 1: right
        self.meals = np.zeros(self.n, dtype=np.int64)
        self.switch_after = np.zeros(self.n, dtype=np.int64)
        self.alive = np.zeros(self.n, dtype=bool)
        self.visited = np.zeros((self.n,) + self.grid.shape, dtype=bool)
        self.ate_side = np.full(self.n, -1, dtype=np.int64)  # end eaten at the last step: 0 left, 1 right, -1 none

    @property
    def explored(self):
        """Fraction of the maze's free cells each agent has stood on this episode, shape (n,)."""
        return self.visited.sum(axis=(1, 2)) / np.sum(self.grid == 0)

    @property
    def optimal_steps(self):
        """Actions from the start to an end: walk, turn, walk."""
        return self.corridor_length + 1 + self.arm_length

    def reset(self, rng, mask=None):
        """Start new episodes in the mazes where ``mask`` is True (all by default)."""
        mask = np.ones(self.n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        count = int(mask.sum())
        self.position[mask] = self.start
        self.heading[mask] = _NORTH
        self.energy[mask] = self.energy_steps
        self.food_side[mask] = rng.integers(0, 2, count)
        self.meals[mask] = 0
        self.switch_after[mask] = rng.integers(self.meals_before_switch[0], self.meals_before_switch[1] + 1, count)
        self.alive[mask] = True
        self.visited[mask] = False
        self.visited[mask, self.start[0], self.start[1]] = True
        self.ate_side[mask] = -1

    def observe(self):
        """Sensors (wall, green, red) for the cell ahead, shape (n, 3), float32."""
        ahead = self.position + _MOVES[self.heading]
        wall = self.grid[ahead[:, 0], ahead[:, 1]] == 1
        at_end = (ahead[:, None, :] == self.ends[None]).all(axis=-1)  # (n, 2)
        food = at_end[np.arange(self.n), self.food_side]
        poison = at_end[np.arange(self.n), 1 - self.food_side]
        return np.stack([wall, food, poison], axis=1).astype(np.float32)

    def step(self, actions, rng):
        """Apply one action per maze.

        Returns
        -------
        reward : numpy.ndarray, shape (n,)
            +1 food, -1 poison, else 0.
        died : numpy.ndarray of bool, shape (n,)
            Agents whose energy ran out at this step.
        """
        actions = np.asarray(actions)
        if actions.dtype.kind not in "iu":  # 1.5 is no action: refused, not truncated to 1
            raise ConfigError(f"actions must be integers in 0..{len(ACTIONS) - 1} ({', '.join(ACTIONS)}), "
                              f"got {actions.dtype} values {actions}")
        actions = actions.astype(np.int64).reshape(self.n)
        if np.any((actions < 0) | (actions >= len(ACTIONS))):
            raise ConfigError(f"actions must be in 0..{len(ACTIONS) - 1} ({', '.join(ACTIONS)}), got {actions}")
        acting = self.alive
        self.heading = np.where(acting & (actions == _LEFT), (self.heading + 3) % 4, self.heading)
        self.heading = np.where(acting & (actions == _RIGHT), (self.heading + 1) % 4, self.heading)
        ahead = self.position + _MOVES[self.heading]
        forward = acting & (actions == _FORWARD) & (self.grid[ahead[:, 0], ahead[:, 1]] == 0)
        at_end = (ahead[:, None, :] == self.ends[None]).all(axis=-1)
        eats_food = forward & at_end[np.arange(self.n), self.food_side]
        eats_poison = forward & at_end[np.arange(self.n), 1 - self.food_side]
        reward = eats_food.astype(np.float64) - eats_poison
        self.position = np.where(forward[:, None], ahead, self.position)
        self.visited[np.arange(self.n), self.position[:, 0], self.position[:, 1]] = True
        ate = eats_food | eats_poison
        self.ate_side = np.where(at_end[:, 0] & ate, 0, np.where(at_end[:, 1] & ate, 1, -1))
        self.position[ate] = self.start
        self.heading[ate] = _NORTH
        self.energy = np.where(acting, self.energy - 1, self.energy)
        self.energy[eats_food] = self.energy_steps
        self.meals += eats_food
        switch = eats_food & (self.meals >= self.switch_after)
        if switch.any():
            self.food_side[switch] = 1 - self.food_side[switch]
            self.meals[switch] = 0
            self.switch_after[switch] = rng.integers(self.meals_before_switch[0], self.meals_before_switch[1] + 1,
                                                     int(switch.sum()))
        died = acting & (self.energy <= 0)
        self.alive &= ~died
        return reward, died

    def info(self):
        """Per-maze diagnostics (copies)."""
        return {"food_side": self.food_side.copy(), "energy": self.energy.copy(), "alive": self.alive.copy(),
                "position": self.position.copy(), "heading": self.heading.copy()}


def _maze_spaces():
    return spaces.Box(0.0, 1.0, (len(SENSORS),), dtype=np.float32), spaces.Discrete(len(ACTIONS))


class TMazeEnv(gymnasium.Env):
    """A T-maze with food at one end and poison at the other, which swap after some meals.

    The agent of Bertens & Lee (2019, §4.4) starts at the foot of a T,
    facing the junction.  One end holds food (green), the other poison
    (red).  Eating (stepping onto an end) gives +1 for food and -1 for poison
    and puts the agent back at the start ("be reset to the initial starting
    location").  After several meals food and poison swap sides, colours
    included, so the agent has to notice the change and go the other way.
    Energy runs down by one each action; food refills it, poison does not;
    an agent without energy dies.

    ::

        #####
        #G.R#     G, R: the two ends (which is food changes)
        ##.##
        ##^##     start, facing north
        #####

    **Against the paper.**  The paper gives no lengths.  It says that eating
    food "gives the agent around 40 time steps to get new food" (10 actions
    at its 4 network steps per action) and that after eating poison the agent
    is reset and must "remember where the food was and revisit" it, and its
    Fig. 9 shows an agent that eats poison, then takes the other arm to the
    food, and later turns away from poison it sees.  So the maze must let an
    agent survive a poison meal: with ``corridor_length=2, arm_length=1`` the
    shortest route to an end is 4 actions (walk 2, turn, step), a poison meal
    leaves 6 of the 10 actions, and the other end is 4 actions away (turning
    around at a red end and taking the other arm costs 6).  The scripted
    agents of :mod:`neuroworm.tasks.tmaze_agents` (random, always-left, the
    paper's taste-then-switch, an oracle that knows the colours) are the
    references; taste-then-switch eats food after every poison meal.  (Our
    first version, corridor 3 and arms 2, needed 6 actions to an end: a
    poison meal left 4 and was always fatal.)

    ## Action Space
    ``Discrete(4)``: 0 forward (into a wall: stay), 1 turn left, 2 turn
    right (quarter turns on the spot), 3 do nothing.

    ## Observation Space
    ``Box(0, 1, (3,), float32)``: what the cell ahead holds, as the paper's
    sensors: 0 wall, 1 green (food), 2 red (poison).  The agent does not see
    its position, heading, energy or which colour is where.

    ## Rewards
    +1 for eating food, -1 for eating poison, 0 otherwise; a dead agent gets
    nothing more.  The episode return is the paper's fitness.

    ## Starting State
    The agent at the start facing north with full energy; food at the left or
    right end with equal probability; the number of meals before the first
    switch uniform in ``meals_before_switch``.

    ## Episode End
    Terminated when the energy runs out (the agent dies); truncated after
    ``max_episode_steps`` (registered: 100).  Bertens & Lee run 400 network
    time steps with an action every 4 steps (100 actions).

    ## Arguments
    ``gymnasium.make("neuroworm/TMaze-v0", corridor_length=2, arm_length=1,
    energy=10, meals_before_switch=(3, 6))``; ``gymnasium.make_vec`` builds
    :class:`TMazeVectorEnv` with the same arguments.

    ## Version History
    * v0: corridor 2, arm 1, energy 10 actions (a poison meal can be
      survived); the first draft's corridor 3 and arms 2 made it fatal.
    """

    metadata: ClassVar[dict] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, corridor_length=2, arm_length=1, energy=10, meals_before_switch=(3, 6), render_mode=None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.core = TMazeCore(1, corridor_length=corridor_length, arm_length=arm_length, energy=energy,
                              meals_before_switch=meals_before_switch)
        self.observation_space, self.action_space = _maze_spaces()

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.core.reset(self.np_random)
        return self.core.observe()[0], self._info()

    def step(self, action):
        if not self.action_space.contains(action):
            raise ConfigError(f"action must be in 0..3 ({', '.join(ACTIONS)}), got {action!r}")
        reward, died = self.core.step(np.array([int(action)]), self.np_random)
        return self.core.observe()[0], float(reward[0]), bool(died[0]), False, self._info()

    def _info(self):
        return {key: value[0] for key, value in self.core.info().items()}

    def render(self):
        if self.render_mode != "ansi":
            return None
        rows = [["#" if cell else "." for cell in row] for row in self.core.grid]
        food = self.core.ends[self.core.food_side[0]]
        poison = self.core.ends[1 - self.core.food_side[0]]
        rows[food[0]][food[1]], rows[poison[0]][poison[1]] = "G", "R"
        row, column = self.core.position[0]
        rows[row][column] = "^>v<"[self.core.heading[0]]
        return "\n".join("".join(row) for row in rows)


class TMazeVectorEnv(VectorEnv):
    """``num_envs`` T-mazes stepped as arrays (next-step autoreset).

    Same arguments as :class:`TMazeEnv`, plus ``num_envs`` and
    ``max_episode_steps`` (default 100).  Matches
    ``gymnasium.make_vec("neuroworm/TMaze-v0", n, vectorization_mode="sync")``
    in spaces and rules; the random draws differ (one generator for all
    mazes).
    """

    metadata: ClassVar[dict] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs=1, corridor_length=2, arm_length=1, energy=10, meals_before_switch=(3, 6),
                 max_episode_steps=100, render_mode=None):
        self.num_envs = check_positive_int("num_envs", num_envs)
        self.max_episode_steps = check_count("max_episode_steps", max_episode_steps, minimum=1)
        self.render_mode = render_mode
        self.core = TMazeCore(num_envs, corridor_length=corridor_length, arm_length=arm_length, energy=energy,
                              meals_before_switch=meals_before_switch)
        self.single_observation_space, self.single_action_space = _maze_spaces()
        self.observation_space = gymnasium.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, num_envs)
        self.elapsed = np.zeros(num_envs, dtype=np.int64)
        self._autoreset = np.zeros(num_envs, dtype=bool)

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._np_random, self._np_random_seed = gymnasium.utils.seeding.np_random(seed)
        self.core.reset(self.np_random)
        self.elapsed[:] = 0
        self._autoreset[:] = False
        return self.core.observe(), self.core.info()

    def step(self, actions):
        actions = np.asarray(actions).reshape(self.num_envs)
        restart = self._autoreset.copy()
        live = ~restart
        reward, died = self.core.step(np.where(live, actions, _NONE), self.np_random)
        reward = np.where(live, reward, 0.0)
        terminated = live & died
        self.elapsed += live
        truncated = live & ~terminated & (self.elapsed >= self.max_episode_steps)
        if restart.any():
            self.core.reset(self.np_random, restart)
            self.elapsed[restart] = 0
        self._autoreset = terminated | truncated
        return self.core.observe(), reward, terminated, truncated, self.core.info()
