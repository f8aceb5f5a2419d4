"""A backend is one class and one registration: a toy backend defined here runs the closed loop."""

import gymnasium
import numpy as np
import pytest

from neuroworm.backends import (
    NetworkPopulation,
    ReferenceNetwork,
    backend_names,
    get_backend,
    make_backend,
    register_backend,
)
from neuroworm.backends.registry import _ENTRY_POINTS
from neuroworm.control import ClosedLoopEvaluator, Controller
from neuroworm.errors import ConfigError
from neuroworm.genome import GenomeLayout

TASK = "Pendulum-v1"  # Box spaces, no MuJoCo: the closed loop itself is what is tested
STEPS = 25
K = 3


class ToyNetwork(NetworkPopulation):
    """Output unit j reads input unit j mod n_inputs, times a gain taken from the genome's first gene.

    Individual k's activity over a window of ``steps`` is ``steps·gain_k·current[:, j mod n_inputs]``.
    A gain of exactly 13 makes the state NaN, to test failures.
    """

    def __init__(self, layout, n_individuals, genomes=None, *, offset=0.0):
        self.layout = layout
        self.n_individuals = n_individuals
        self.n_inputs = layout.n_inputs
        self.n_outputs = layout.n_outputs
        self.offset = offset
        self.failed = np.zeros(n_individuals, dtype=bool)
        self.set_genomes(layout.random(n_individuals, seed=0) if genomes is None else genomes)

    def set_genomes(self, genomes):
        self.gain = np.asarray(genomes, dtype=float)[:, 0].copy()
        self.failed[:] = False
        self.reset_state()

    def reset_state(self):
        self.state = np.zeros((self.n_individuals, self.n_outputs))

    def advance(self, input_current, steps):
        columns = np.arange(self.n_outputs) % self.n_inputs
        with np.errstate(invalid="ignore"):
            self.state = steps * self.gain[:, None] * input_current[:, columns] + self.offset
            self.state[self.gain == 13.0] = np.nan
        self.state[self.failed] = 0.0
        return self.state.copy()

    def fail(self, individuals):
        self.failed[individuals] = True
        self.state[individuals] = 0.0

    def check_divergence(self):
        bad = ~np.isfinite(self.state).all(axis=1) & ~self.failed
        if bad.any():
            self.fail(np.flatnonzero(bad))


@pytest.fixture
def toy_backend():
    register_backend("toy", f"{__name__}:ToyNetwork")
    yield "toy"
    _ENTRY_POINTS.pop("toy", None)


def expected_returns(layout, genomes, seed, offset=0.0):
    """The loop written out by hand with gymnasium and the controller, one individual at a time."""
    envs = gymnasium.make_vec(TASK, len(genomes), vectorization_mode="sync")
    space = envs.single_action_space
    returns = []
    for genome in genomes:
        env = gymnasium.make(TASK)
        controller = Controller(layout, space.low, space.high, K)
        controller.load(genome[None, :])
        observation, _ = env.reset(seed=seed)
        total = 0.0
        for _ in range(STEPS):
            current = controller.encode(observation[None, :])
            columns = np.arange(layout.n_outputs) % layout.n_inputs
            activity = K * genome[0] * current[:, columns] + offset
            observation, reward, terminated, truncated, _ = env.step(controller.decode(activity)[0])
            total += reward
            if terminated or truncated:
                break
        returns.append(total)
        env.close()
    envs.close()
    return np.array(returns)


def test_a_registered_toy_backend_runs_the_closed_loop(small_circuit, toy_backend):
    assert "toy" in backend_names() and get_backend("toy") is ToyNetwork
    evaluator = ClosedLoopEvaluator(small_circuit, "alif", TASK, backend=toy_backend, episode_steps=STEPS,
                                    neural_steps_per_env_step=K, seed=4, backend_options={"offset": 0.25})
    genomes = evaluator.layout.random(3, seed=1)
    genomes[:, 0] = [0.5, 2.0, -1.0]
    returns = evaluator(genomes)
    assert isinstance(evaluator._network, ToyNetwork) and evaluator._network.offset == 0.25
    seed = evaluator_seed = int(np.random.default_rng(4).integers(0, 2**31 - 1))
    assert seed == evaluator_seed
    np.testing.assert_allclose(returns, expected_returns(evaluator.layout, genomes, seed, offset=0.25), rtol=1e-12)
    assert len(set(np.round(returns, 6))) == 3, "different gains should swim differently"


def test_a_diverging_individual_of_a_toy_backend_fails_alone(small_circuit, toy_backend):
    evaluator = ClosedLoopEvaluator(small_circuit, "alif", TASK, backend=toy_backend, episode_steps=STEPS,
                                    neural_steps_per_env_step=K, seed=4)
    genomes = evaluator.layout.random(3, seed=1)
    genomes[:, 0] = [0.5, 13.0, -1.0]
    returns = evaluator(genomes)
    assert returns[1] == -np.inf and np.isfinite(returns[[0, 2]]).all()
    alone = evaluator(genomes[[0, 2]])
    np.testing.assert_array_equal(alone, returns[[0, 2]])


def test_registry_errors_name_the_backend():
    with pytest.raises(ConfigError, match="unknown backend 'nope'.*brian2.*reference"):
        get_backend("nope")
    with pytest.raises(ConfigError, match="module:Class"):
        register_backend("broken", "no_colon_here")
    register_backend("missing", "neuroworm.no_such_module:Network")
    try:
        with pytest.raises(ConfigError, match="missing.*cannot load"):
            make_backend("missing", None, 1)
    finally:
        _ENTRY_POINTS.pop("missing")
    with pytest.raises(ConfigError, match="already registered"):
        register_backend("reference", ToyNetwork)


def test_builtin_backends_are_registered_lazily_and_follow_the_protocol(small_circuit):
    import subprocess
    import sys

    code = ("import sys; from neuroworm.backends import get_backend; cls = get_backend('brian2'); "
            "print(cls.__name__, 'brian2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["BrianNetwork", "False"]
    layout = GenomeLayout(small_circuit, "alif", n_observations=2, n_actions=1)
    population = make_backend("reference", layout, 2, layout.random(2, seed=0), gap_junctions=False)
    assert isinstance(population, NetworkPopulation)
    assert (population.n_individuals, population.n_inputs, population.n_outputs) == (2, 20, 15)
    counts = population.advance(np.full((2, 20), 5.0), 4)
    assert counts.shape == (2, 15) and counts.max() <= 4 and counts.sum() > 0


class ReferenceThroughAdvance(ReferenceNetwork):
    """The NumPy reference driven by the protocol's default loop (one advance per environment step)."""

    run_episode = NetworkPopulation.run_episode


def test_the_default_loop_through_advance_equals_the_references_own_loop(small_circuit):
    register_backend("reference_through_advance", ReferenceThroughAdvance)
    try:
        returns = {}
        for backend in ("reference", "reference_through_advance"):
            evaluator = ClosedLoopEvaluator(small_circuit, "alif", TASK, backend=backend, episode_steps=STEPS,
                                            neural_steps_per_env_step=4, seed=2, input_gain=3.0)
            genomes = evaluator.layout.random(3, seed=7, weight_noise=0.3)
            genomes[:, evaluator.layout.slices["encoder"]] *= 10.0
            returns[backend] = evaluator(genomes)
            assert isinstance(evaluator._network, get_backend(backend))
        np.testing.assert_array_equal(returns["reference"], returns["reference_through_advance"])
        assert np.isfinite(returns["reference"]).all() and np.ptp(returns["reference"]) > 0
    finally:
        _ENTRY_POINTS.pop("reference_through_advance", None)


def test_brian2_advance_equals_the_reference_advance(small_circuit):
    pytest.importorskip("brian2")
    layout = GenomeLayout(small_circuit, "alif", n_observations=2, n_actions=1)
    genomes = layout.random(2, seed=3, weight_noise=0.3)
    reference = make_backend("reference", layout, 2, genomes)
    brian = make_backend("brian2", layout, 2, genomes, codegen="numpy")
    current = np.random.default_rng(0).uniform(0, 0.8, (2, 20))
    for steps in (3, 5):
        np.testing.assert_array_equal(brian.advance(current, steps), reference.advance(current, steps))
    assert reference.advance(current, 4).sum() > 0


def test_the_protocols_default_open_loop_activity_is_one_population_of_p_times_b(small_circuit):
    """P genomes x B inputs through the default: genome p on input b reads what one network of genome p reads."""
    layout = GenomeLayout(small_circuit, "alif")
    genomes = layout.random(2, seed=0)
    genomes[:, 0] = [0.5, 13.0]  # the second genome's network diverges (a gain of 13 is NaN)
    current = np.random.default_rng(1).uniform(0, 1, (2, 3, layout.n_inputs))
    populations = {}
    activity = ToyNetwork.open_loop_activity(layout, genomes, current, 4, populations=populations, offset=0.5)
    assert activity.shape == (2, 3, layout.n_outputs)
    alone = ToyNetwork(layout, 1, genomes[:1], offset=0.5)
    for b in range(3):
        np.testing.assert_array_equal(activity[0, b], alone.advance(current[0, b][None, :], 4)[0])
    assert np.isnan(activity[1]).all()
    assert list(populations) == [6] and populations[6].offset == 0.5
    again = ToyNetwork.open_loop_activity(layout, genomes, current, 4, populations=populations, offset=0.5)
    assert list(populations) == [6]  # reused, not rebuilt
    np.testing.assert_array_equal(again, activity)
