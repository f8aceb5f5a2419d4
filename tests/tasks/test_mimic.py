"""Mimic tasks: the IAF neuron (eq. 2), gated STDP (eq. 3) and their fitness functions."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.tasks.mimic import (
    gated_stdp,
    iaf_episodes,
    iaf_fitness,
    integrate_and_fire,
    spike_match_score,
    stdp_curve,
    stdp_episodes,
    stdp_fitness,
)


@pytest.mark.parametrize(("drive", "period"), [(0.25, 4), (0.5, 2), (0.2, 5), (1.0, 1)])
def test_iaf_fires_every_threshold_over_drive_steps(drive, period):
    spikes, potential = integrate_and_fire(np.full((2, 40), drive), threshold=1.0)
    np.testing.assert_array_equal(np.flatnonzero(spikes[0]), np.arange(period - 1, 40, period))
    assert potential.max() < 1.0 and np.all(potential[spikes == 1] == 0)


def test_iaf_episodes_are_seeded_and_within_their_rates():
    first, again = iaf_episodes(8, 50, seed=3), iaf_episodes(8, 50, seed=3)
    np.testing.assert_array_equal(first.inputs, again.inputs)
    assert first.inputs.shape == (8, 50, 1) and first.target.shape == (8, 50)
    assert np.all(first.inputs[..., 0] <= first.rate[:, None]) and np.all((0.1 <= first.rate) & (first.rate <= 0.5))
    np.testing.assert_array_equal(first.target, integrate_and_fire(first.inputs[..., 0])[0])


def test_iaf_fitness_is_zero_for_a_perfect_copy_and_grows_as_a_spike_moves_closer():
    target = np.zeros(60)
    target[[10, 25, 40]] = 1
    assert iaf_fitness(target, target) == 0
    shifted = [np.roll(target, shift) for shift in (1, 2, 4)]
    scores = [iaf_fitness(candidate, target) for candidate in shifted]
    assert scores[0] > scores[1] > scores[2]
    half_height = 0.6 * target
    np.testing.assert_allclose(iaf_fitness(half_height, target), -(0.4**2))  # same times, spikes short of 1
    assert iaf_fitness(np.zeros(60), target) < iaf_fitness(np.roll(target, 4), target)  # silence is worst here
    with pytest.raises(ConfigError, match="same shape"):
        iaf_fitness(np.zeros(5), np.zeros(6))


def test_spike_match_score():
    target = np.zeros(30)
    target[[5, 15]] = 1
    assert spike_match_score(target, target) == 1
    assert spike_match_score(np.roll(target, 1), target) == 1  # within the 1-step tolerance
    assert spike_match_score(np.roll(target, 3), target) == 0
    assert spike_match_score(np.zeros(30), np.zeros(30)) == 1


@pytest.mark.parametrize("delta_t", [-12, -3, -1, 1, 2, 7, 20])
def test_one_pair_with_the_gate_open_follows_equation_3(delta_t):
    pre, post = np.zeros(60), np.zeros(60)
    t_pre = 25
    pre[t_pre], post[t_pre + delta_t] = 1, 1
    rule = {"amplitude_plus": 0.3, "amplitude_minus": 0.2, "tau_plus": 8.0, "tau_minus": 5.0}
    weight = gated_stdp(pre, post, 1.0, w_initial=0.5, **rule)
    expected = 0.3 * np.exp(-delta_t / 8.0) if delta_t > 0 else -0.2 * np.exp(delta_t / 5.0)
    np.testing.assert_allclose(weight[-1] - 0.5, expected, rtol=1e-12)
    np.testing.assert_allclose(stdp_curve(delta_t, **rule), expected, rtol=1e-12)
    second = t_pre + max(delta_t, 0)
    np.testing.assert_array_equal(weight[:second], 0.5)  # nothing changes before the second spike


def test_the_gate_closes_plasticity():
    pre, post = np.zeros(40), np.zeros(40)
    pre[10], post[14] = 1, 1
    np.testing.assert_array_equal(gated_stdp(pre, post, 0.0), 0.5)
    gate = np.zeros(40)
    gate[20:] = 1  # opens only after the pair: still no change
    np.testing.assert_array_equal(gated_stdp(pre, post, gate), 0.5)
    gate[14] = 1  # open at the postsynaptic spike: the full change
    np.testing.assert_allclose(gated_stdp(pre, post, gate)[-1], 0.5 + 0.4 * np.exp(-4 / 10))
    same_step = np.zeros(40)
    same_step[10] = 1
    np.testing.assert_array_equal(gated_stdp(same_step, same_step, 1.0), 0.5)  # no interaction at dt = 0


def test_all_to_all_pairs_add_up_and_stay_within_bounds():
    pre, post = np.zeros(50), np.zeros(50)
    pre[[5, 8]], post[12] = 1, 1
    weight = gated_stdp(pre, post, 1.0, w_initial=0.1)
    np.testing.assert_allclose(weight[-1], 0.1 + 0.4 * (np.exp(-0.7) + np.exp(-0.4)))
    many = np.zeros(50)
    many[1::2] = 1
    assert gated_stdp(np.roll(many, -1), many, 1.0).max() <= 1.0
    with pytest.raises(ConfigError, match="w_min"):
        gated_stdp(pre, post, 1.0, w_initial=2.0)


def test_stdp_episodes_target_is_weight_times_graded_input():
    episodes = stdp_episodes(64, 100, seed=0)
    assert episodes.inputs.shape == (64, 100, 4)
    np.testing.assert_allclose(episodes.target, episodes.weight * episodes.inputs[..., 0])
    np.testing.assert_array_equal(episodes.inputs[..., 1].sum(-1), 1)  # one presynaptic spike
    np.testing.assert_array_equal(episodes.inputs[..., 3].sum(-1), 1)  # one postsynaptic spike
    delta = episodes.inputs[..., 3].argmax(-1) - episodes.inputs[..., 1].argmax(-1)
    np.testing.assert_array_equal(delta, episodes.delta_t)
    change = episodes.weight[:, -1] - 0.5
    np.testing.assert_array_equal(change[~episodes.modulated], 0)
    np.testing.assert_allclose(change[episodes.modulated], stdp_curve(episodes.delta_t[episodes.modulated]))
    assert stdp_fitness(episodes.target, episodes.target).max() == 0
    with pytest.raises(ConfigError, match="max_delay"):
        stdp_episodes(2, 40, max_delay=25)
