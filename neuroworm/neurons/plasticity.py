"""Synapse models: static chemical synapses, gap junctions and three plasticity rules.

Each is a frozen dataclass with its Brian2 strings (synapse equations,
``on_pre``/``on_post`` pathways, neuron-side declarations, update and reset
of the spike traces, end-of-step code) and, next to them, the same updates
in NumPy (``numpy_on_pre``, ``numpy_on_post``, ``numpy_end_of_step``), used
by :mod:`neuroworm.backends.reference` without knowing which rule it runs.

The three rules (``stdp=`` of the networks, see :data:`PLASTICITY_RULES`):

:class:`STDP` (``"stdp"``)
    pair-based STDP on the weight, Bertens & Lee (2019), eq. 3;
:class:`EligibilitySTDP` (``"eligibility_stdp"``; the old name
``NeuromodulatedSTDP`` / ``"neuromodulated"`` still works)
    Izhikevich (2007)'s distal-reward rule: STDP writes an eligibility trace,
    and the weight moves by eligibility × dopamine (the ``modulator``);
:class:`GatedSTDP` (``"gated_stdp"``)
    Bertens & Lee (2019)'s neuromodulated STDP: the eq. 3 update is applied
    to the weight only while the neuromodulator is present (their Figs. 5
    and 7 setting), scaled by it: ``Δw = M·Δw_STDP``.

References
----------
Bertens, P. & Lee, S.-W. (2019). Network of evolvable neural units: evolving
to learn at a synaptic level. Eq. 3 and the neuromodulated STDP task.

Izhikevich, E. M. (2007). Solving the distal reward problem through linkage
of STDP and dopamine signaling. Cerebral Cortex 17:2443.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from .models import _check_dt, _decay, _parameter

__all__ = [
    "PLASTICITY_RULES",
    "STDP",
    "ChemicalSynapse",
    "EligibilitySTDP",
    "GapJunction",
    "GatedSTDP",
    "NeuromodulatedSTDP",
    "get_plasticity",
]


@dataclass(frozen=True)
class ChemicalSynapse:
    """Static chemical synapse: each presynaptic spike adds ``w`` to ``I_chem`` of its target.

    ``w = s·exp(w_log)`` (Dale sign times magnitude, see
    :meth:`neuroworm.genome.GenomeLayout.effective_weights`). The spike of
    step t is summed into ``I_chem`` in Brian2's ``synapses`` slot and read by
    the neuron update of step t+1, which realises ``Σ w·s(t)`` in eq. 1/3.
    """

    equations: ClassVar[str] = "w : 1"
    on_pre: ClassVar[str] = "I_chem_post += w"
    on_post: ClassVar[str] = ""
    neuron_equations: ClassVar[str] = ""
    neuron_update: ClassVar[str] = ""
    neuron_reset: ClassVar[str] = ""
    end_of_step: ClassVar[str] = ""

    def constants(self, dt_ms):
        return {}


@dataclass(frozen=True)
class STDP:
    """Pair-based spike-timing-dependent plasticity with pre and post traces (Bertens & Lee 2019, eq. 3).

    For a presynaptic spike at step ``t_pre`` and a postsynaptic spike at
    ``t_post``, ``Δt = (t_post - t_pre)·dt``, the weight magnitude changes by::

        +A_plus ·exp(-Δt/τ_plus)    if Δt > 0   (pre before post: potentiation)
        -A_minus·exp(+Δt/τ_minus)   if Δt < 0   (post before pre: depression)

    summed over all pairs (all-to-all interaction); pairs in the same step
    (``Δt = 0``) do not interact. Implemented with one trace per neuron and
    sign::

        each step (update):  x_plus ← γ_plus·x_plus,  x_minus ← γ_minus·x_minus
        pre spike (synapses): I_chem_post += w;  w ← s·clip(s·w - A_minus·x_minus[post], w_min, w_max)
        post spike (synapses, after the pre pathway): w ← s·clip(s·w + A_plus·x_plus[pre], w_min, w_max)
        spike (reset):        x_plus += 1,  x_minus += 1

    with ``γ = exp(-dt/τ)``. Since the traces are incremented in the reset slot,
    after the synapses slot, a pathway sees only spikes of earlier steps,
    decayed by ``exp(-Δt/τ)``. The rule changes the magnitude ``s·w`` of the
    signed weight and clips it to ``[w_min, w_max]`` with ``w_min ≥ 0``, so
    plasticity never flips a synapse's Dale sign. The spike is transmitted with
    the weight it had before this step's change.

    Parameters
    ----------
    A_plus, A_minus : float
        Potentiation and depression amplitudes (> 0).
    tau_plus_ms, tau_minus_ms : float
        Trace time constants in ms.
    w_min, w_max : float
        Bounds of the weight magnitude, ``0 ≤ w_min ≤ w_max``.
    """

    A_plus: float = _parameter(0.01, "1", "potentiation amplitude")
    A_minus: float = _parameter(0.0105, "1", "depression amplitude")
    tau_plus_ms: float = _parameter(20.0, "ms", "potentiation window")
    tau_minus_ms: float = _parameter(20.0, "ms", "depression window")
    w_min: float = _parameter(0.0, "1", "lower bound of |w|")
    w_max: float = _parameter(100.0, "1", "upper bound of |w|")

    equations: ClassVar[str] = "w : 1\ndale_sign : 1 (constant)"
    on_pre: ClassVar[str] = "I_chem_post += w\nw = dale_sign*clip(dale_sign*w - A_minus*trace_minus_post, w_min, w_max)"
    on_post: ClassVar[str] = "w = dale_sign*clip(dale_sign*w + A_plus*trace_plus_pre, w_min, w_max)"
    neuron_equations: ClassVar[str] = "trace_plus : 1\ntrace_minus : 1"
    neuron_update: ClassVar[str] = "trace_plus = gamma_plus*trace_plus\ntrace_minus = gamma_minus*trace_minus"
    neuron_reset: ClassVar[str] = "trace_plus = trace_plus + 1\ntrace_minus = trace_minus + 1"
    end_of_step: ClassVar[str] = ""

    def __post_init__(self):
        if not (self.A_plus >= 0 and self.A_minus >= 0):
            raise ConfigError(f"STDP amplitudes must be >= 0, got A_plus={self.A_plus}, A_minus={self.A_minus}")
        if not (0 <= self.w_min <= self.w_max):
            raise ConfigError(f"STDP bounds must satisfy 0 <= w_min <= w_max, got {self.w_min}, {self.w_max}")

    def constants(self, dt_ms):
        dt_ms = _check_dt(dt_ms)
        return {
            "A_plus": float(self.A_plus),
            "A_minus": float(self.A_minus),
            "gamma_plus": _decay(dt_ms, self.tau_plus_ms, "tau_plus_ms"),
            "gamma_minus": _decay(dt_ms, self.tau_minus_ms, "tau_minus_ms"),
            "w_min": float(self.w_min),
            "w_max": float(self.w_max),
        }

    # NumPy pathways, the same operations in the same order as the Brian2 strings. ``synapses``
    # holds the flat arrays ``w``, ``sign`` and (rules with a trace) ``eligibility``; ``index``
    # selects the synapses whose pre (post) neuron spiked; ``trace`` is the other side's trace
    # and ``modulator`` the postsynaptic modulator, for those synapses; ``c`` the constants.
    def numpy_on_pre(self, synapses, index, trace, modulator, c):
        """Presynaptic spike: ``w ← s·clip(s·w - A_minus·x_minus[post], w_min, w_max)``."""
        w, sign = synapses["w"], synapses["sign"]
        depression = c["A_minus"] * trace
        w[index] = sign[index] * np.clip(sign[index] * w[index] - depression, c["w_min"], c["w_max"])

    def numpy_on_post(self, synapses, index, trace, modulator, c):
        """Postsynaptic spike: ``w ← s·clip(s·w + A_plus·x_plus[pre], w_min, w_max)``."""
        w, sign = synapses["w"], synapses["sign"]
        potentiation = c["A_plus"] * trace
        w[index] = sign[index] * np.clip(sign[index] * w[index] + potentiation, c["w_min"], c["w_max"])

    def numpy_end_of_step(self, synapses, modulator, c):
        """Nothing at the end of a step (the rule with an eligibility trace overrides this)."""


@dataclass(frozen=True)
class EligibilitySTDP(STDP):
    """STDP through an eligibility trace, read out by a neuromodulator (Izhikevich 2007).

    Izhikevich's (2007) solution of the distal reward problem: the pair
    updates of :class:`STDP` go into an eligibility trace ``e`` per synapse
    instead of the weight; the weight moves by eligibility times the
    modulator ``M`` (a dopamine-like signal, the ``modulator`` variable of
    the postsynaptic neuron, set by the caller; 0 by default), so a reward
    arriving up to ~τ_e after a pairing still credits it. (This rule was
    called ``NeuromodulatedSTDP`` and credited to Bertens & Lee (2019); their
    rule is :class:`GatedSTDP`.)::

        pre spike (synapses):  I_chem_post += w;  e ← e - A_minus·x_minus[post]
        post spike (synapses): e ← e + A_plus·x_plus[pre]
        end of every step:     w ← s·clip(s·w + M·e, w_min, w_max);  e ← γ_e·e

    with ``γ_e = exp(-dt/τ_e)``. Without modulator (``M = 0``) no weight
    changes. ``M`` absorbs the learning rate.

    Parameters
    ----------
    tau_eligibility_ms : float
        Eligibility trace time constant in ms (1 s by default, as in
        Izhikevich 2007).
    """

    tau_eligibility_ms: float = _parameter(1000.0, "ms", "eligibility trace time constant")

    equations: ClassVar[str] = "w : 1\ndale_sign : 1 (constant)\neligibility : 1"
    on_pre: ClassVar[str] = "I_chem_post += w\neligibility = eligibility - A_minus*trace_minus_post"
    on_post: ClassVar[str] = "eligibility = eligibility + A_plus*trace_plus_pre"
    neuron_equations: ClassVar[str] = "trace_plus : 1\ntrace_minus : 1\nmodulator : 1"
    end_of_step: ClassVar[str] = (
        "w = dale_sign*clip(dale_sign*w + modulator_post*eligibility, w_min, w_max)\n"
        "eligibility = gamma_eligibility*eligibility"
    )

    def constants(self, dt_ms):
        constants = super().constants(dt_ms)
        constants["gamma_eligibility"] = _decay(dt_ms, self.tau_eligibility_ms, "tau_eligibility_ms")
        return constants

    def numpy_on_pre(self, synapses, index, trace, modulator, c):
        """Presynaptic spike: ``e ← e - A_minus·x_minus[post]``."""
        synapses["eligibility"][index] = synapses["eligibility"][index] - c["A_minus"] * trace

    def numpy_on_post(self, synapses, index, trace, modulator, c):
        """Postsynaptic spike: ``e ← e + A_plus·x_plus[pre]``."""
        synapses["eligibility"][index] = synapses["eligibility"][index] + c["A_plus"] * trace

    def numpy_end_of_step(self, synapses, modulator, c):
        """``w ← s·clip(s·w + M·e, w_min, w_max)``, then ``e ← γ_e·e`` (every synapse)."""
        w, sign, eligibility = synapses["w"], synapses["sign"], synapses["eligibility"]
        w[:] = sign * np.clip(sign * w + modulator * eligibility, c["w_min"], c["w_max"])
        eligibility *= c["gamma_eligibility"]


NeuromodulatedSTDP = EligibilitySTDP
"""The former name of :class:`EligibilitySTDP` (kept for existing code)."""


@dataclass(frozen=True)
class GatedSTDP(STDP):
    """STDP applied only while a neuromodulator is present (Bertens & Lee 2019).

    Bertens & Lee's neuromodulated STDP: the pair updates of eq. 3 change the
    weight directly, as in :class:`STDP`, but scaled by the neuromodulator
    ``M`` of the postsynaptic neuron (the ``modulator`` variable, set by the
    caller; 0 by default), so that plasticity happens only while ``M > 0``
    (their Figs. 5 and 7: STDP "switched on" by the modulatory signal)::

        each step (update):   x_plus ← γ_plus·x_plus,  x_minus ← γ_minus·x_minus
        pre spike (synapses):  I_chem_post += w;  w ← s·clip(s·w - M·A_minus·x_minus[post], w_min, w_max)
        post spike (synapses): w ← s·clip(s·w + M·A_plus·x_plus[pre], w_min, w_max)
        spike (reset):         x_plus += 1,  x_minus += 1

    With ``M = 1`` throughout it is :class:`STDP`; with ``M = 0`` no weight
    changes; a gate of 0/1 values switches eq. 3 on and off. Unlike
    :class:`EligibilitySTDP` there is no memory: a pairing made while the
    gate is closed is lost. The same rule, on spike trains, is
    :func:`neuroworm.tasks.mimic.gated_stdp` (the ENU's mimic target).
    """

    equations: ClassVar[str] = "w : 1\ndale_sign : 1 (constant)"
    on_pre: ClassVar[str] = (
        "I_chem_post += w\n"
        "w = dale_sign*clip(dale_sign*w - A_minus*modulator_post*trace_minus_post, w_min, w_max)"
    )
    on_post: ClassVar[str] = "w = dale_sign*clip(dale_sign*w + A_plus*modulator_post*trace_plus_pre, w_min, w_max)"
    neuron_equations: ClassVar[str] = "trace_plus : 1\ntrace_minus : 1\nmodulator : 1"

    def numpy_on_pre(self, synapses, index, trace, modulator, c):
        """Presynaptic spike: ``w ← s·clip(s·w - M·A_minus·x_minus[post], w_min, w_max)``."""
        w, sign = synapses["w"], synapses["sign"]
        depression = c["A_minus"] * modulator * trace
        w[index] = sign[index] * np.clip(sign[index] * w[index] - depression, c["w_min"], c["w_max"])

    def numpy_on_post(self, synapses, index, trace, modulator, c):
        """Postsynaptic spike: ``w ← s·clip(s·w + M·A_plus·x_plus[pre], w_min, w_max)``."""
        w, sign = synapses["w"], synapses["sign"]
        potentiation = c["A_plus"] * modulator * trace
        w[index] = sign[index] * np.clip(sign[index] * w[index] + potentiation, c["w_min"], c["w_max"])


@dataclass(frozen=True)
class GapJunction:
    """Electrical coupling through gap junctions, in both directions.

    Each gap-junction pair ``(a, b)`` of the circuit becomes two Brian2
    synapses, ``a → b`` and ``b → a``, with the same conductance ``g``; each
    contributes ``g·(v_pre - v_post)`` to the summed variable ``I_gap`` of
    its target::

        I_gap[j] = Σ_k g_jk·(v_k - v_j)

    evaluated from the state at the start of the step (Brian2 updates
    summed variables in the ``groups`` slot, just before the group's own
    update), so a neuron's update at step t sees the voltages its partners
    had after step t-1. ``g = exp(g_log)`` comes from the genome.
    """

    equations: ClassVar[str] = "g : 1\nI_gap_post = g*(v_pre - v_post) : 1 (summed)"


PLASTICITY_RULES = {
    "stdp": STDP,
    "eligibility_stdp": EligibilitySTDP,
    "gated_stdp": GatedSTDP,
    "neuromodulated": EligibilitySTDP,
    "neuromodulated_stdp": EligibilitySTDP,
}
"""Names ``stdp=`` accepts; ``"neuromodulated"`` is the former name of ``"eligibility_stdp"``."""


def get_plasticity(stdp):
    """``None``, a name of :data:`PLASTICITY_RULES` or an STDP instance → an instance or None.

    Raises
    ------
    ConfigError
        For an unknown name.
    """
    if stdp is None or stdp is False:
        return None
    if isinstance(stdp, STDP):
        return stdp
    if isinstance(stdp, str) and stdp.lower() in PLASTICITY_RULES:
        return PLASTICITY_RULES[stdp.lower()]()
    raise ConfigError(f"unknown plasticity {stdp!r}; use None, {sorted(PLASTICITY_RULES)} or an STDP instance")
