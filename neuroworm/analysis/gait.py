"""Gait of a swimming body: undulation frequency, amplitude and phase lag along the body.

A swimmer moves forward by passing a wave of bending from its head to its
tail (Gray et al. 2005; Schmidgall et al. 2023, Fig. 2: "the Swimmer body
propagating a wave down its body starting from the head ending at the
tail"). Given the angles of its J joints, ordered head to tail, over time,
:func:`gait_analysis` measures:

frequency
    The dominant undulation frequency ``f`` (Hz): the peak of the power
    spectrum summed over joints, after removing each joint's mean and
    linear trend, refined by a parabola through the peak and its two
    neighbours (exact for the discrete spectrum of a pure sinusoid to a
    fraction of a bin).
amplitude (per joint)
    ``A_j = √2 · RMS(θ_j - trend_j)`` (rad): exactly ``A`` for
    ``θ_j = A sin(2πft + φ)`` over whole periods.
phase lag (per neighbouring pair)
    With the Fourier coefficient of each joint at ``f``,
    ``c_j = Σ_t θ_j(t) e^{-2πi f t}``, the lag of joint ``j+1`` behind
    joint ``j`` is ``Δφ_j = arg(c_j · conj(c_{j+1}))`` in (-π, π]. For
    ``θ_j(t) = A cos(2πft - jφ)``, ``Δφ_j = φ``: positive when the wave
    travels from the head to the tail.
travelling wave
    True when the body oscillates (a clear spectral peak at ``f`` of at
    least :data:`MIN_CYCLES` periods in the window, carrying at least
    :data:`MIN_PEAK_POWER` of the power, with a median amplitude of at
    least :data:`MIN_AMPLITUDE_RAD`) and, along the joints that beat (an
    amplitude of at least :data:`MIN_AMPLITUDE_RAD`; at least two of them),
    every lag from one beating joint to the next has the same sign and lies
    at least :data:`MIN_LAG_RAD` away from 0 and from ±π. A joint held
    still has no phase to speak of (its "lag" is noise), so a body that
    holds its head bent and passes a wave down the rest is a travelling
    wave; ``phase_lag_rad`` still lists every neighbouring pair. A standing
    wave (joints in phase or in anti-phase) and a drifting posture (no
    oscillation) are not travelling waves.

The first ``transient`` seconds are discarded, so the start of an episode
(the body at rest) does not count.

steadiness
    Whether the body keeps swimming for the whole episode
    (:func:`steadiness`): the gait of the last quarter of the analysed
    window against that of the first quarter, as the ratio of the
    frequencies and, per joint, of the amplitudes. A joint that stops
    beating late in the episode shows an amplitude ratio near 0 although
    the whole-episode gait still looks like a travelling wave.

References
----------
Gray, J. M., Hill, J. J. & Bargmann, C. I. (2005). A circuit for navigation
in Caenorhabditis elegans. PNAS 102:3184.
Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as a
representation for the architecture of artificial neural networks. Fig. 2.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError

__all__ = ["MIN_AMPLITUDE_RAD", "MIN_CYCLES", "MIN_LAG_RAD", "MIN_PEAK_POWER", "Gait", "Steadiness",
           "gait_analysis", "steadiness", "summarise_gaits"]

MIN_CYCLES = 3.0
"""A dominant frequency must give at least this many periods in the analysed window."""

MIN_PEAK_POWER = 0.25
"""Fraction of the (detrended) power the spectral peak (±2 bins) must carry to count as an oscillation."""

MIN_AMPLITUDE_RAD = 0.05
"""Median joint amplitude (rad, about 3°) below which the body is taken to be still."""

MIN_LAG_RAD = 0.1
"""A travelling wave's neighbouring lags must be at least this far from 0 and from ±π."""


@dataclass
class Gait:
    """The gait of one body (see the module docstring for definitions).

    Attributes
    ----------
    frequency_hz : float
        Dominant undulation frequency (0 when there is no oscillation).
    amplitude_rad : list of float
        Oscillation amplitude of each joint, head to tail.
    phase_lag_rad : list of float
        Lag of joint j+1 behind joint j, for each neighbouring pair.
    travelling_wave : bool
    oscillating : bool
        A clear periodic bending (frequency, power fraction and amplitude criteria).
    direction : str
        ``"head-to-tail"``, ``"tail-to-head"`` or ``"none"``.
    peak_power_fraction : float
        Fraction of the detrended power within ±2 bins of the peak.
    joint_names : list of str
    mean_angle_rad : list of float
        Mean angle of each joint over the analysed window: the posture the
        oscillation is about (a joint held near its limit shows here).
    """

    frequency_hz: float
    amplitude_rad: list
    phase_lag_rad: list
    travelling_wave: bool
    oscillating: bool
    direction: str
    peak_power_fraction: float
    joint_names: list
    mean_angle_rad: list = None

    def to_dict(self):
        """JSON-able dict of every attribute."""
        return asdict(self)


def _detrend(angles):
    """Remove each column's least-squares line (mean and drift)."""
    T = angles.shape[0]
    t = np.arange(T, dtype=float)
    design = np.stack([np.ones(T), t - t.mean()], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, angles, rcond=None)
    return angles - design @ coefficients


def _peak_frequency(power, frequencies):
    """Frequency of the largest non-zero bin, refined by a parabola through it and its neighbours."""
    k = int(np.argmax(power[1:])) + 1
    if 1 <= k < len(power) - 1:
        left, centre, right = np.log(power[k - 1:k + 2] + 1e-300)
        denominator = left - 2 * centre + right
        offset = 0.5 * (left - right) / denominator if denominator < 0 else 0.0
        offset = float(np.clip(offset, -0.5, 0.5))
    else:
        offset = 0.0
    step = frequencies[1] - frequencies[0]
    return k, frequencies[k] + offset * step


def _angles_of(joint_angles, dt, individual, joint_names):
    """``(angles (T, J), dt, joint_names)`` from an array or a RolloutRecord, ``dt`` checked."""
    if hasattr(joint_angles, "joint_angles"):
        record = joint_angles
        if record.joint_angles is None:
            raise ConfigError(f"record of {record.env_id!r} has no joint angles to analyse")
        angles = np.asarray(record.joint_angles[:, individual, :], dtype=float)
        dt = record.env_dt if dt is None else dt
        joint_names = list(record.joint_names) if joint_names is None else joint_names
    else:
        angles = np.asarray(joint_angles, dtype=float)
    if dt is None or not (isinstance(dt, (int, float, np.floating)) and dt > 0 and math.isfinite(dt)):
        raise ConfigError(f"dt must be a positive number of seconds, got {dt!r}")
    return angles, dt, joint_names


def gait_analysis(joint_angles, dt=None, *, individual=0, transient=2.0, joint_names=None):
    """Undulation frequency, amplitude per joint, phase lags and whether the wave travels.

    Parameters
    ----------
    joint_angles : array_like (T, J) or RolloutRecord
        Joint angles (rad), joints ordered head to tail. A
        :class:`~neuroworm.control.RolloutRecord` gives its ``joint_angles``
        of ``individual``, its ``env_dt`` and its joint names.
    dt : float, optional
        Seconds between rows (required for an array).
    individual : int
        Which body of a record.
    transient : float
        Seconds at the start left out (at most half the recording).
    joint_names : sequence of str, optional

    Returns
    -------
    Gait

    Raises
    ------
    ConfigError
        No joint angles, a non-positive ``dt``, fewer than 2 joints or fewer
        than 16 samples.

    Examples
    --------
    >>> t = np.arange(1000) * 0.04
    >>> angles = np.stack([0.5 * np.cos(2 * np.pi * 0.5 * t - j * 0.8) for j in range(5)], axis=1)
    >>> gait = gait_analysis(angles, dt=0.04)
    >>> round(gait.frequency_hz, 3), gait.travelling_wave, gait.direction
    (0.5, True, 'head-to-tail')
    """
    angles, dt, joint_names = _angles_of(joint_angles, dt, individual, joint_names)
    if angles.ndim != 2 or angles.shape[1] < 2:
        raise ConfigError(f"joint_angles must have shape (T, J) with J >= 2 joints, got {angles.shape}")
    if not np.isfinite(angles).all():
        raise ConfigError("joint_angles contain NaN or infinite values")
    skip = min(round(transient / dt), angles.shape[0] // 2)
    angles = angles[skip:]
    T, J = angles.shape
    if T < 16:
        raise ConfigError(f"need at least 16 samples after the transient to analyse a gait, got {T}")
    names = [str(n) for n in joint_names] if joint_names is not None else [f"joint{j}" for j in range(J)]

    mean_angle = angles.mean(axis=0).tolist()
    detrended = _detrend(angles)
    amplitude = np.sqrt(2.0) * np.sqrt(np.mean(detrended**2, axis=0))
    window = np.hanning(T)
    spectrum = np.fft.rfft(detrended * window[:, None], axis=0)
    power = (np.abs(spectrum) ** 2).sum(axis=1)
    frequencies = np.fft.rfftfreq(T, d=dt)
    total = power[1:].sum()
    if total <= 0 or len(power) < 3:
        return Gait(0.0, amplitude.tolist(), [0.0] * (J - 1), False, False, "none", 0.0, names, mean_angle)
    k, frequency = _peak_frequency(power, frequencies)
    peak_fraction = float(power[max(1, k - 2):k + 3].sum() / total)
    duration = T * dt
    oscillating = bool(frequency * duration >= MIN_CYCLES and peak_fraction >= MIN_PEAK_POWER
                       and np.median(amplitude) >= MIN_AMPLITUDE_RAD)
    # Fourier coefficient of each joint at the refined frequency (no window: the phase is exact
    # for a pure sinusoid over whole periods, and the same window would not change the lags).
    t = np.arange(T) * dt
    coefficients = (detrended * np.exp(-2j * np.pi * frequency * t)[:, None]).sum(axis=0)
    lags = np.angle(coefficients[:-1] * np.conj(coefficients[1:]))
    beating = coefficients[amplitude >= MIN_AMPLITUDE_RAD]  # a still joint's phase is noise
    wave_lags = np.angle(beating[:-1] * np.conj(beating[1:]))
    clear = (np.abs(wave_lags) >= MIN_LAG_RAD) & (np.abs(wave_lags) <= np.pi - MIN_LAG_RAD)
    travelling = bool(oscillating and len(beating) >= 2 and clear.all()
                      and (np.all(wave_lags > 0) or np.all(wave_lags < 0)))
    direction = "none"
    if travelling:
        direction = "head-to-tail" if wave_lags[0] > 0 else "tail-to-head"
    return Gait(float(frequency) if oscillating else 0.0, amplitude.tolist(), lags.tolist(), travelling,
                oscillating, direction, peak_fraction, names, mean_angle)


def summarise_gaits(gaits):
    """One gait from several episodes: means, circular mean of the lags, a majority vote on the wave.

    Parameters
    ----------
    gaits : sequence of Gait
        Of the same body layout (same joints).

    Returns
    -------
    Gait
        ``frequency_hz``: mean over the oscillating episodes (0 if none);
        ``amplitude_rad``: mean per joint; ``phase_lag_rad``: circular mean
        per pair over the oscillating episodes (all, if none oscillates); ``travelling_wave``, ``oscillating``: true in at least half
        of the episodes; ``direction``: the most common among travelling
        episodes; ``peak_power_fraction``: mean.
    """
    gaits = list(gaits)
    if not gaits:
        raise ConfigError("summarise_gaits needs at least one gait")
    oscillating = [g for g in gaits if g.oscillating]
    frequency = float(np.mean([g.frequency_hz for g in oscillating])) if oscillating else 0.0
    amplitude = np.mean([g.amplitude_rad for g in gaits], axis=0)
    lagging = oscillating or gaits  # a still body's lags mean nothing
    lags = np.angle(np.mean(np.exp(1j * np.asarray([g.phase_lag_rad for g in lagging])), axis=0))
    travelling = [g for g in gaits if g.travelling_wave]
    wave = 2 * len(travelling) >= len(gaits)
    directions = [g.direction for g in travelling]
    direction = max(set(directions), key=directions.count) if wave else "none"
    return Gait(frequency, amplitude.tolist(), np.atleast_1d(lags).tolist(), wave, 2 * len(oscillating) >= len(gaits),
                direction, float(np.mean([g.peak_power_fraction for g in gaits])), list(gaits[0].joint_names),
                np.mean([g.mean_angle_rad for g in gaits], axis=0).tolist())


@dataclass
class Steadiness:
    """The gait of the last quarter of an episode against the first (see :func:`steadiness`).

    Attributes
    ----------
    frequency_ratio : float
        ``f_last / f_first``; 0 when the last quarter no longer oscillates,
        NaN when the first quarter does not.
    amplitude_ratio : list of float
        ``A_last / A_first`` per joint, head to tail (NaN for a joint still in the first quarter).
    min_amplitude_ratio : float
        The smallest ratio over the joints that beat in the first quarter
        (amplitude of at least :data:`MIN_AMPLITUDE_RAD`); NaN if none does.
    first, last : Gait
        The two quarters' gaits.
    reward_ratio : float
        The last quarter's summed reward over the first's (for the swimmers,
        whose reward is the forward speed, the distance swum): whether the
        body keeps *moving*, whatever its gait does; NaN without rewards or
        when the first quarter's sum is not positive.
    """

    frequency_ratio: float
    amplitude_ratio: list
    min_amplitude_ratio: float
    first: Gait
    last: Gait
    reward_ratio: float = float("nan")

    def to_dict(self):
        """JSON-able dict of every attribute (the gaits as dicts)."""
        return asdict(self)

    def holds(self, fraction=0.8):
        """Whether the last quarter keeps at least ``fraction`` of the first's frequency and of every beating joint's amplitude."""
        return bool(self.frequency_ratio >= fraction and self.min_amplitude_ratio >= fraction)


def steadiness(joint_angles, dt=None, *, individual=0, transient=2.0, joint_names=None, rewards=None):
    """Frequency and amplitude of the last quarter of an episode against the first.

    The window after ``transient`` seconds is cut into four equal quarters;
    :func:`gait_analysis` (with no further transient) measures the first and
    the last, and their frequencies and per-joint amplitudes are compared
    as ratios, last over first. A body that swims steadily holds ratios near 1.

    Parameters
    ----------
    joint_angles : array_like (T, J) or RolloutRecord
        As for :func:`gait_analysis`.
    dt : float, optional
    individual : int
    transient : float
        Seconds left out at the start (at most half the recording).
    joint_names : sequence of str, optional
    rewards : array_like (T,), optional
        Reward per environment step, for ``reward_ratio`` over the same
        quarters (default: the record's, when ``joint_angles`` is a
        RolloutRecord; none for an array).

    Returns
    -------
    Steadiness

    Raises
    ------
    ConfigError
        As :func:`gait_analysis`, for the whole window or for a quarter of it
        (each quarter needs at least 16 samples).

    Examples
    --------
    >>> t = np.arange(1000) * 0.04
    >>> fading = np.where(t < 25, 0.5, 0.05)  # the head joint nearly stops after 25 s
    >>> angles = np.stack([(fading if j == 0 else 0.5) * np.cos(2 * np.pi * 0.5 * t - 0.8 * j)
    ...                    for j in range(4)], axis=1)
    >>> result = steadiness(angles, dt=0.04)
    >>> round(result.frequency_ratio, 2), round(result.min_amplitude_ratio, 1), result.holds()
    (1.0, 0.1, False)
    """
    angles, dt, joint_names = _angles_of(joint_angles, dt, individual, joint_names)
    if angles.ndim != 2:
        raise ConfigError(f"joint_angles must have shape (T, J), got {angles.shape}")
    if rewards is None and getattr(joint_angles, "rewards", None) is not None:
        rewards = np.asarray(joint_angles.rewards, dtype=float)[:, individual]
    start = min(round(transient / dt), angles.shape[0] // 2)
    angles = angles[start:]
    quarter = angles.shape[0] // 4
    reward_ratio = float("nan")
    if rewards is not None:
        rewards = np.asarray(rewards, dtype=float)[start:]
        if rewards.ndim != 1 or rewards.shape[0] < 4 * quarter - 1:
            raise ConfigError(f"rewards must have one value per step of the joint angles, got shape {rewards.shape}")
        first_sum, last_sum = rewards[:quarter].sum(), rewards[3 * quarter:4 * quarter].sum()
        if first_sum > 0:
            reward_ratio = float(last_sum / first_sum)
    first = gait_analysis(angles[:quarter], dt, transient=0.0, joint_names=joint_names)
    last = gait_analysis(angles[-quarter:], dt, transient=0.0, joint_names=joint_names)
    frequency_ratio = last.frequency_hz / first.frequency_hz if first.frequency_hz > 0 else float("nan")
    first_amplitude, last_amplitude = np.asarray(first.amplitude_rad), np.asarray(last.amplitude_rad)
    beating = first_amplitude >= MIN_AMPLITUDE_RAD
    ratio = np.full(first_amplitude.shape, np.nan)
    ratio[beating] = last_amplitude[beating] / first_amplitude[beating]
    smallest = float(np.min(ratio[beating])) if beating.any() else float("nan")
    return Steadiness(float(frequency_ratio), ratio.tolist(), smallest, first, last, reward_ratio)
