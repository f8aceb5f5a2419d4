"""A network of ENUs in the T-maze: the closed loop of Bertens & Lee (2019, §4.4).

:class:`TMazeEvaluation` is a picklable ``evaluate(genomes (P, D), seeds=...)
-> fitness (P,)`` for :func:`neuroworm.evolve.run`.  All P offspring meet the
same mazes, drawn from the batch's first seed (common random numbers); every
offspring, maze, neuron and synapse is one array computation.

References
----------
.. [1] P. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §4.1, §4.4,
   Figs. 3, 8-9.
"""

from dataclasses import dataclass, field

import numpy as np

from ..backends.enu import ENUNetwork
from ..errors import ConfigError
from ..seeding import make_rng
from ..tasks.tmaze import ACTIONS, SENSORS, TMazeCore
from ..validation import check_positive_int

__all__ = ["TMazeEvaluation", "TMazeRecord", "tmaze_topology"]


def tmaze_topology(*, seed=None):
    """The paper's sparse T-maze network: 6 ENU neurons, 8 synapses each.

    Sources are numbered: 0-2 sensors, 3 the reward neuron, 4-6 hidden
    neurons, 7-9 output neurons.  Each neuron's synapses come from 2 of the
    3 sensors, 2 hidden neurons, 2 output neurons (others than itself), the
    reward neuron and itself (Bertens & Lee 2019, §4.4), drawn at random.

    Returns
    -------
    numpy.ndarray of int, shape (6, 8)
    """
    rng = make_rng(seed)
    hidden, output = [4, 5, 6], [7, 8, 9]
    rows = []
    for neuron in hidden + output:
        sensors = rng.choice(3, 2, replace=False)
        others_hidden = rng.choice([h for h in hidden if h != neuron], 2, replace=False)
        others_output = rng.choice([o for o in output if o != neuron], 2, replace=False)
        rows.append(np.concatenate([sensors, others_hidden, others_output, [3, neuron]]))
    return np.array(rows, dtype=np.int64)


@dataclass
class TMazeRecord:
    """One evaluation's trace, for figures: every array indexed [offspring, environment, ...]."""

    sensors: np.ndarray  # (P, B, T_net, 3)
    reward_input: np.ndarray  # (P, B, T_net, 2): positive, negative
    outputs: np.ndarray  # (P, B, T_net, 3): channel 0 of the output neurons, in action order
    actions: np.ndarray  # (P, B, T_env)
    rewards: np.ndarray  # (P, B, T_env)
    food_side: np.ndarray  # (P, B, T_env) before the action
    position: np.ndarray  # (P, B, T_env, 2) after the action
    extra: dict = field(default_factory=dict)


@dataclass
class TMazeEvaluation:
    """Fitness of networks of ENUs learning the T-maze within an episode.

    Per offspring and environment: a :class:`~neuroworm.tasks.tmaze.TMazeCore`
    maze and a network of ENUs (:func:`tmaze_topology`) whose memories start
    at zero.  The sensors drive input neurons 0-2 on channel 0, the reward
    neuron carries food (+1) on channel 1 and poison (-1) on channel 2; the
    network runs ``steps_per_action`` steps per action, and the output
    neuron with the largest summed channel-0 output chooses forward, left or
    right (none if all are silent).  Which sensor drives which input neuron
    and which output neuron means which action are shuffled in every
    environment, so nothing about them can be inherited: it has to be
    learnt.  Fitness: mean over ``n_environments`` (paper: 8) of the return
    plus ``exploration_bonus`` times the fraction of the maze's cells
    visited (our addition: at first no network reaches an end, every return
    is 0 and ranks carry no signal; the bonus is at most 0.1 of one meal by
    default, and held-out results report returns alone).

    Parameters
    ----------
    n_environments : int
    actions_per_episode : int
        Paper: 400 time steps / 4 = 100.
    steps_per_action : int
        Paper: 4.
    memory_size, n_channels : int
        Paper: 32, 16.
    output_noise : float
        Std of the output-gate offsets (our value; the paper gives none).
    topology_seed : int
        Seed of :func:`tmaze_topology` (fixed for a run).
    exploration_bonus : float
        Weight of the explored fraction in the fitness.
    maze : dict
        Keywords of :class:`~neuroworm.tasks.tmaze.TMazeCore`.
    """

    n_environments: int = 8
    actions_per_episode: int = 100
    steps_per_action: int = 4
    memory_size: int = 32
    n_channels: int = 16
    output_noise: float = 0.01
    topology_seed: int = 0
    exploration_bonus: float = 0.1
    maze: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("n_environments", "actions_per_episode", "steps_per_action", "memory_size", "n_channels"):
            check_positive_int(name, getattr(self, name))
        if self.n_channels < 3:
            raise ConfigError(f"n_channels must be >= 3 (sensor, food, poison), got {self.n_channels}")

    def network(self, n_individuals, seed=None):
        """The :class:`~neuroworm.backends.enu.ENUNetwork` for ``n_individuals`` offspring."""
        return ENUNetwork(tmaze_topology(seed=self.topology_seed), n_inputs=4, n_individuals=n_individuals,
                          n_environments=self.n_environments, memory_size=self.memory_size,
                          n_channels=self.n_channels, output_noise=self.output_noise, seed=seed)

    @property
    def genome_size(self):
        """Length of a genome (synapse then neuron chromosome)."""
        return self.network(1).genome_size

    def initial_genome(self, *, seed=None, gain=1.0):
        """A random genome (see :meth:`ENUNetwork.initial_genome`)."""
        return self.network(1).initial_genome(seed=seed, gain=gain)

    def simulate(self, genomes, seed=None, *, record=False):
        """Run one episode of every genome in ``n_environments`` mazes.

        Returns
        -------
        returns : numpy.ndarray, shape (P, B)
        record : TMazeRecord or None
            With ``extra["explored"]``, shape (P, B), also when ``record`` is False.
        """
        genomes = np.atleast_2d(np.asarray(genomes, dtype=np.float64))
        p, b, c = genomes.shape[0], self.n_environments, self.n_channels
        rng = make_rng(seed)
        maze_rng, network_rng, shuffle_rng = rng.spawn(3)
        network = self.network(p, seed=network_rng)
        network.set_genomes(genomes)
        core = TMazeCore(p * b, **self.maze)
        # the same mazes for every offspring: reset once for B, then tile
        first = TMazeCore(b, **self.maze)
        first.reset(maze_rng)
        core.reset(maze_rng)
        core.food_side[:] = np.tile(first.food_side, p)
        core.switch_after[:] = np.tile(first.switch_after, p)
        sensor_order = np.argsort(shuffle_rng.random((b, 3)), axis=1)  # sensor k drives input neuron order[k]
        action_order = np.argsort(shuffle_rng.random((b, 3)), axis=1)  # action a is output neuron order[a]
        env_rows = np.arange(b)[:, None]
        returns = np.zeros(p * b)
        reward = np.zeros(p * b)
        steps = self.actions_per_episode * self.steps_per_action
        if record:
            trace = {key: [] for key in ("sensors", "reward_input", "outputs")}
            actions_log, rewards_log, food_log, position_log = [], [], [], []
        for _ in range(self.actions_per_episode):
            sensors = core.observe().reshape(p, b, 3)
            inputs = np.zeros((p, b, 4, c), dtype=np.float32)
            inputs[:, env_rows, sensor_order, 0] = sensors
            inputs[:, :, 3, 1] = (reward > 0).reshape(p, b)
            inputs[:, :, 3, 2] = (reward < 0).reshape(p, b)
            activity = np.zeros((p, b, 3))
            for _ in range(self.steps_per_action):
                outputs = network.step(inputs)
                motor = outputs[:, :, 3:, 0][:, env_rows, action_order]  # (P, B, 3) in action order
                activity += motor
                if record:
                    trace["sensors"].append(sensors)
                    trace["reward_input"].append(inputs[:, :, 3, 1:3].copy())
                    trace["outputs"].append(motor.copy())
            action = np.where(activity.max(axis=-1) > 0, activity.argmax(axis=-1), ACTIONS.index("none"))
            if record:
                food_log.append(core.food_side.reshape(p, b).copy())
            reward, _ = core.step(action.reshape(-1), maze_rng)
            returns += reward
            if record:
                actions_log.append(action)
                rewards_log.append(reward.reshape(p, b))
                position_log.append(core.position.reshape(p, b, 2).copy())
        returns = returns.reshape(p, b)
        explored = core.explored.reshape(p, b)
        if not record:
            return returns, TMazeRecord(*(None,) * 7, extra={"explored": explored})
        stack = lambda values: np.stack(values, axis=2)
        result = TMazeRecord(
            sensors=stack(trace["sensors"]), reward_input=stack(trace["reward_input"]),
            outputs=stack(trace["outputs"]), actions=stack(actions_log), rewards=stack(rewards_log),
            food_side=stack(food_log), position=stack(position_log),
            extra={"explored": explored, "sensor_order": sensor_order, "action_order": action_order, "network_steps": steps,
                   "sensor_names": SENSORS})
        return returns, result

    def __call__(self, genomes, seeds=None):
        seed = None if seeds is None else int(seeds[0])
        returns, record = self.simulate(genomes, seed)
        return (returns + self.exploration_bonus * record.extra["explored"]).mean(axis=1)
