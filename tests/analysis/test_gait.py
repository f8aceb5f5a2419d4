"""Gait analysis against synthetic bodies whose answers are known."""

import numpy as np
import pytest

from neuroworm.analysis import gait_analysis, summarise_gaits
from neuroworm.errors import ConfigError

DT = 0.04
T = 1000


def _wave(frequency=0.5, lag=0.8, amplitudes=(0.6, 0.5, 0.4, 0.3, 0.2), drift=0.0, noise=0.0, seed=0):
    t = np.arange(T) * DT
    rng = np.random.default_rng(seed)
    columns = [a * np.cos(2 * np.pi * frequency * t - j * lag) + drift * t + noise * rng.normal(size=T)
               for j, a in enumerate(amplitudes)]
    return np.stack(columns, axis=1)


def test_travelling_wave_head_to_tail_is_measured_exactly():
    gait = gait_analysis(_wave(frequency=0.5, lag=0.8), dt=DT, transient=0.0)
    assert gait.frequency_hz == pytest.approx(0.5, abs=2e-3)
    np.testing.assert_allclose(gait.amplitude_rad, [0.6, 0.5, 0.4, 0.3, 0.2], rtol=1e-2)
    np.testing.assert_allclose(gait.phase_lag_rad, [0.8] * 4, atol=2e-2)
    assert gait.travelling_wave and gait.oscillating
    assert gait.direction == "head-to-tail"


def test_off_bin_frequency_and_drift_are_handled():
    # 0.37 Hz is between FFT bins; a linear drift of the posture is removed before the analysis.
    gait = gait_analysis(_wave(frequency=0.37, lag=-0.5, drift=0.02), dt=DT)
    assert gait.frequency_hz == pytest.approx(0.37, abs=5e-3)
    np.testing.assert_allclose(gait.phase_lag_rad, [-0.5] * 4, atol=5e-2)
    assert gait.travelling_wave and gait.direction == "tail-to-head"


def test_standing_waves_are_not_travelling():
    in_phase = gait_analysis(_wave(lag=0.0), dt=DT)
    assert in_phase.oscillating and not in_phase.travelling_wave
    np.testing.assert_allclose(in_phase.phase_lag_rad, 0.0, atol=1e-6)
    anti_phase = gait_analysis(_wave(lag=np.pi), dt=DT)
    assert anti_phase.oscillating and not anti_phase.travelling_wave
    np.testing.assert_allclose(np.abs(anti_phase.phase_lag_rad), np.pi, atol=1e-6)


def test_mixed_lag_signs_are_not_a_travelling_wave():
    angles = _wave(lag=0.8)
    angles[:, 3] = angles[:, 1]  # joint 3 jumps back in phase: lags +, +, -, +
    gait = gait_analysis(angles, dt=DT)
    assert gait.oscillating and not gait.travelling_wave


def test_a_joint_held_still_is_left_out_of_the_wave():
    angles = _wave(lag=0.8)
    angles[:, 0] = 1.7 + 0.005 * np.random.default_rng(2).normal(size=T)  # the head joint held bent
    gait = gait_analysis(angles, dt=DT)
    assert gait.amplitude_rad[0] < 0.05 and len(gait.phase_lag_rad) == 4  # every pair is still reported
    assert gait.travelling_wave and gait.direction == "head-to-tail"
    angles[:, 2:] = 0.001 * angles[:, 2:]  # only joint 1 beats: one joint is no wave
    assert not gait_analysis(angles, dt=DT).travelling_wave
    one_back = _wave(lag=0.8)
    one_back[:, 0] = 0.02 * np.cos(2 * np.pi * 0.5 * np.arange(T) * DT + 2.0)  # still joint out of phase
    one_back[:, 3] = one_back[:, 1]  # and a beating joint that jumps back: still not a wave
    assert not gait_analysis(one_back, dt=DT).travelling_wave


def test_a_drifting_posture_does_not_oscillate():
    t = np.arange(T) * DT
    drifting = np.stack([0.8 * (1 - np.exp(-t / (5 + j))) + 0.01 * t for j in range(5)], axis=1)
    gait = gait_analysis(drifting, dt=DT)
    assert not gait.oscillating and not gait.travelling_wave
    assert gait.frequency_hz == 0.0 and gait.direction == "none"


def test_a_still_body_and_noise_do_not_oscillate():
    still = gait_analysis(np.zeros((T, 5)), dt=DT)
    assert not still.oscillating and still.amplitude_rad == [0.0] * 5
    noise = gait_analysis(0.2 * np.random.default_rng(1).normal(size=(T, 5)), dt=DT)
    assert not noise.oscillating and not noise.travelling_wave


def test_noisy_wave_is_still_found():
    gait = gait_analysis(_wave(frequency=0.8, lag=1.0, noise=0.1), dt=DT)
    assert gait.travelling_wave
    assert gait.frequency_hz == pytest.approx(0.8, abs=0.01)


def test_summary_of_episodes():
    gaits = [gait_analysis(_wave(frequency=f, lag=0.7), dt=DT) for f in (0.5, 0.6)]
    gaits.append(gait_analysis(np.zeros((T, 5)), dt=DT))
    summary = summarise_gaits(gaits)
    assert summary.travelling_wave and summary.direction == "head-to-tail"
    assert summary.frequency_hz == pytest.approx(0.55, abs=5e-3)
    np.testing.assert_allclose(summary.phase_lag_rad, 0.7, atol=0.02)
    assert set(summary.to_dict()) >= {"frequency_hz", "amplitude_rad", "phase_lag_rad", "travelling_wave"}


def test_bad_input_raises_config_error():
    with pytest.raises(ConfigError, match="dt"):
        gait_analysis(_wave(), dt=0)
    with pytest.raises(ConfigError, match="J >= 2"):
        gait_analysis(np.zeros((T, 1)), dt=DT)
    with pytest.raises(ConfigError, match="16 samples"):
        gait_analysis(np.zeros((10, 3)), dt=DT)
    bad = _wave()
    bad[5, 2] = np.nan
    with pytest.raises(ConfigError, match="NaN"):
        gait_analysis(bad, dt=DT)


def test_mean_posture_is_reported_apart_from_the_oscillation():
    angles = _wave(lag=0.8) + np.array([1.5, 0.0, -0.2, 0.0, 0.0])  # head joint held bent
    gait = gait_analysis(angles, dt=DT, transient=0.0)
    np.testing.assert_allclose(gait.mean_angle_rad, [1.5, 0.0, -0.2, 0.0, 0.0], atol=0.02)
    np.testing.assert_allclose(gait.amplitude_rad, [0.6, 0.5, 0.4, 0.3, 0.2], rtol=1e-2)
    assert gait.travelling_wave


def test_steadiness_of_a_steady_wave_is_one():
    from neuroworm.analysis.gait import steadiness

    result = steadiness(_wave(frequency=0.5, amplitudes=(0.5, 0.8, 0.6), lag=0.8), dt=DT)
    assert result.frequency_ratio == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(result.amplitude_ratio, 1.0, atol=0.05)  # a quarter holds 4.75 periods, not whole ones
    assert result.holds(0.8) and result.first.travelling_wave and result.last.travelling_wave


def test_steadiness_catches_a_joint_that_stops_and_a_wave_that_slows():
    from neuroworm.analysis.gait import steadiness

    t = np.arange(1000) * 0.04
    stopping = np.where(t < 25.0, 0.6, 0.0)  # joint 1 stops after 25 s, as the bundled worm's did
    angles = np.stack([stopping * np.cos(np.pi * t), 0.6 * np.cos(np.pi * t - 0.8)], axis=1)
    result = steadiness(angles, dt=0.04)
    assert result.amplitude_ratio[0] < 0.05 and result.amplitude_ratio[1] == pytest.approx(1.0, abs=0.05)
    assert result.min_amplitude_ratio < 0.05 and not result.holds(0.8)
    slowing = 2 * np.pi * np.cumsum(np.linspace(0.6, 0.3, 1000)) * 0.04  # 0.6 Hz falling to 0.3 Hz
    angles = np.stack([0.5 * np.cos(slowing - 0.8 * j) for j in range(3)], axis=1)
    result = steadiness(angles, dt=0.04)
    assert result.frequency_ratio < 0.7 and not result.holds(0.8)
    assert result.min_amplitude_ratio == pytest.approx(1.0, abs=0.05)  # slower, not smaller


def test_steadiness_of_a_body_that_stops_altogether():
    from neuroworm.analysis.gait import steadiness

    t = np.arange(1000) * 0.04
    angles = np.stack([np.where(t < 20.0, 0.5, 0.0) * np.cos(np.pi * t - 0.8 * j) for j in range(3)], axis=1)
    result = steadiness(angles, dt=0.04)
    assert result.frequency_ratio == 0.0 and not result.last.oscillating
    with pytest.raises(ConfigError):
        steadiness(angles[:40], dt=0.04)  # a quarter of 38 samples is too short to analyse


def test_steadiness_reward_ratio_tells_a_gait_that_changes_from_a_body_that_slows():
    from types import SimpleNamespace

    from neuroworm.analysis.gait import steadiness

    t = np.arange(1001) * 0.04
    slowing = 2 * np.pi * np.cumsum(np.linspace(0.6, 0.3, 1001)) * 0.04  # the wave slows to half its frequency
    angles = np.stack([0.5 * np.cos(slowing - 0.8 * j) for j in range(3)], axis=1)
    record = SimpleNamespace(joint_angles=angles[:, None, :], env_dt=0.04, joint_names=("a", "b", "c"),
                             rewards=np.full((1000, 1), 0.15))  # ... at the same speed: it keeps swimming
    kept = steadiness(record)
    assert kept.frequency_ratio < 0.7 and kept.reward_ratio == pytest.approx(1.0, abs=0.01)
    fading = steadiness(angles, dt=0.04, rewards=0.15 * np.clip(1 - t[:-1] / 40, 0, None))  # speed falls to 0
    assert fading.reward_ratio < 0.3
    assert np.isnan(steadiness(angles, dt=0.04).reward_ratio)  # no rewards, no ratio
    with pytest.raises(ConfigError, match="rewards"):
        steadiness(angles, dt=0.04, rewards=np.ones(100))
