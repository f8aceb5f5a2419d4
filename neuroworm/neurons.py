"""Neuron and synapse models of the papers, as discrete-time maps.

Every model here is a small frozen dataclass holding its parameters (with
their units and the papers' defaults) and the Brian2 strings that implement
it: variable declarations, the per-step update, the threshold condition and
the reset. The same discrete update is written in NumPy in
:mod:`neuroworm.backends.reference`; a test checks that both give the same
spikes, step for step.

Why discrete maps and not differential equations
------------------------------------------------
The papers define their neurons as maps from one time step to the next
(Schmidgall et al. 2023, eqs. 1-4): ``v(t+Δτ) = γ·v(t) + Σ w·s(t)``. Brian2
integrates differential equations, and its ``exact`` or ``euler`` updaters
would give ``v·exp(-dt/τ)`` computed through a different sequence of
floating-point operations. To compute *exactly* the paper's update, the
state variables are declared as plain parameters (``v : 1``) and the map is
run as code once per step, by ``NeuronGroup.run_regularly(update,
when="groups")``. Brian2's schedule then gives, within one step:

1. ``groups`` (order -1): summed variables, here the gap-junction current
   ``I_gap = Σ g·(v_pre - v_post)`` from the state at the start of the step;
2. ``groups``: the model's :attr:`update` (uses and clears ``I_chem``);
3. ``thresholds``: ``s(t) = [threshold]``;
4. ``synapses``: each spike adds its weight to ``I_chem`` of its targets,
   which the next step's update consumes: the one-step synaptic delay of
   eq. 1 (and the 1 ms delay of the appendix for Izhikevich at dt = 1 ms);
   plasticity reads the spike traces;
5. ``resets``: the model's :attr:`reset`; spike traces are incremented;
6. ``end``: neuromodulated weight change.

All variables are dimensionless numbers; the unit each stands for (mV for
the Izhikevich model, ms for time constants) is recorded in the field's
``metadata["unit"]`` and in :meth:`NeuronModel.parameters`. Time constants
are in milliseconds and the per-step factors are derived from ``dt``:
``γ = exp(-dt/τ)``, which at the papers' ``dt = 1 ms`` is exactly
``e^(-1/20)`` for ``τ = 20 ms``.

References
----------
Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as a
representation for the architecture of artificial neural networks.
Eqs. 1-4 and Appendix A.3.3.

Bertens, P. & Lee, S.-W. (2019). Network of evolvable neural units: evolving
to learn at a synaptic level. Eq. 3 (STDP) and the neuromodulated STDP
variant.
"""

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

from .errors import ConfigError

__all__ = [
    "ALIF",
    "LIF",
    "MODEL_NAMES",
    "STDP",
    "ChemicalSynapse",
    "GapJunction",
    "Izhikevich",
    "NeuromodulatedSTDP",
    "NeuronModel",
    "get_model",
]


def _parameter(default, unit, doc):
    return field(default=default, metadata={"unit": unit, "doc": doc})


def _decay(dt_ms, tau_ms, what):
    if not tau_ms > 0:
        raise ConfigError(f"{what} must be > 0 ms, got {tau_ms!r}")
    return math.exp(-dt_ms / tau_ms)


def _check_dt(dt_ms):
    if not (isinstance(dt_ms, (int, float)) and math.isfinite(dt_ms) and dt_ms > 0):
        raise ConfigError(f"dt must be a finite time step > 0 ms, got {dt_ms!r}")
    return float(dt_ms)


@dataclass(frozen=True)
class NeuronModel:
    """Base of the neuron models: parameters, Brian2 strings and step constants.

    Subclasses set :attr:`name`, :attr:`state_variables`,
    :attr:`per_neuron_parameters` and the strings :attr:`update`,
    :attr:`threshold` and :attr:`reset`. Every model reads three input
    variables, all dimensionless and per neuron:

    ``I_chem``
        chemical synaptic input, ``Σ w·s(t-1)``: weights of the spikes of the
        previous step, added by the synapses and cleared by the update;
    ``I_gap``
        gap-junction current ``Σ g·(v_k - v)`` (a Brian2 summed variable);
    ``I_ext``
        external (encoded) input, written by the caller each step and scaled
        by the model's ``input_scale``.
    """

    name: ClassVar[str] = ""
    state_variables: ClassVar[tuple] = ()
    per_neuron_parameters: ClassVar[tuple] = ()
    update: ClassVar[str] = ""
    threshold: ClassVar[str] = ""
    reset: ClassVar[str] = ""
    method: ClassVar[str] = "discrete map: NeuronGroup.run_regularly(update, when='groups')"

    @property
    def equations(self):
        """Brian2 model equations: the state variables and inputs, as parameters."""
        lines = [f"{variable} : 1" for variable in self.state_variables]
        lines += ["I_chem : 1", "I_gap : 1", "I_ext : 1"]
        return "\n".join(lines)

    def parameters(self):
        """The model's parameters: ``{name: (value, unit, description)}``."""
        return {f.name: (getattr(self, f.name), f.metadata.get("unit", "1"), f.metadata.get("doc", ""))
                for f in fields(self)}

    @property
    def initial_state(self):
        """Value of each state variable at the start of a run."""
        return {variable: 0.0 for variable in self.state_variables}

    def constants(self, dt_ms):
        """Numbers the update code reads, for a time step of ``dt_ms`` milliseconds.

        Both backends take their constants from here, so they compute with the
        same floating-point values.

        Returns
        -------
        dict of str to float
        """
        raise NotImplementedError

    def replace(self, **changes):
        """A copy with some parameters changed."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(f"{self.name}: unknown parameter(s) {unknown}; known: {sorted(names)}")
        return type(self)(**{**{n: getattr(self, n) for n in names}, **changes})


@dataclass(frozen=True)
class LIF(NeuronModel):
    """Leaky integrate-and-fire neuron (Schmidgall et al. 2023, eqs. 1-2).

    Discrete update, one step of ``dt``::

        v ← γ·v + I_chem + I_gap + input_scale·I_ext      (eq. 1)
        s = [v ≥ v_threshold]                              (eq. 2)
        v ← 0 where s

    with ``γ = exp(-dt/tau_membrane_ms)`` (``e^(-1/20)`` at ``dt = 1 ms``)
    and ``I_chem = Σ w·s(t-1)``. The paper does not give ``v_threshold``;
    1.0 is this package's choice.

    Parameters
    ----------
    v_threshold : float
        Firing threshold ``v_th``.
    tau_membrane_ms : float
        Membrane time constant in ms; γ = exp(-dt/τ).
    input_scale : float
        Factor on the external input ``I_ext``.
    """

    name: ClassVar[str] = "lif"
    state_variables: ClassVar[tuple] = ("v",)
    per_neuron_parameters: ClassVar[tuple] = ("v_threshold", "input_scale")
    update: ClassVar[str] = "v = gamma_v*v + I_chem + I_gap + input_scale*I_ext\nI_chem = 0"
    threshold: ClassVar[str] = "v >= v_threshold"
    reset: ClassVar[str] = "v = 0"

    v_threshold: float = _parameter(1.0, "1", "firing threshold v_th (not given in the paper)")
    tau_membrane_ms: float = _parameter(20.0, "ms", "membrane time constant; gamma = exp(-dt/tau) = e^(-1/20)")
    input_scale: float = _parameter(1.0, "1", "factor on the external input I_ext")

    def constants(self, dt_ms):
        dt_ms = _check_dt(dt_ms)
        return {
            "gamma_v": _decay(dt_ms, self.tau_membrane_ms, "tau_membrane_ms"),
            "v_threshold": float(self.v_threshold),
            "input_scale": float(self.input_scale),
        }


@dataclass(frozen=True)
class ALIF(NeuronModel):
    """Adaptive leaky integrate-and-fire neuron (Schmidgall et al. 2023, eq. 1 and A.3.3).

    Discrete update, one step of ``dt``::

        v     ← γ·v + I_chem + I_gap + input_scale·I_ext   (eq. 1)
        v_adp ← γ_s·v_adp                                   (adaptation decay)
        s = [v ≥ v_threshold + v_adp]                       (adaptive threshold)
        v ← 0, v_adp ← v_adp + β  where s

    so that ``v_adp(t) = γ_s·v_adp(t-1) + β·s(t)`` as in the paper, with the
    threshold at step t compared against ``γ_s·v_adp(t-1)`` (the trace before
    this step's own spike). The paper writes the adaptive threshold as
    ``v > v_th + v_adp`` but eq. 2 as ``v ≥ v_th``; ``≥`` is used for both
    LIF and ALIF. Defaults (A.3.3): voltage decay ``γ = e^(-1/20)``,
    adaptation constant ``β = 0.5`` ("Adaptation Time Constant: 0.5"),
    adaptive threshold decay ``γ_s = e^(-1/10)``.

    Parameters
    ----------
    v_threshold : float
        Base firing threshold ``v_th`` (not given in the paper; 1.0).
    tau_membrane_ms : float
        Membrane time constant, γ = exp(-dt/τ).
    beta : float
        Threshold increase per spike, β.
    tau_adaptation_ms : float
        Adaptation time constant, γ_s = exp(-dt/τ_s).
    input_scale : float
        Factor on the external input ``I_ext``.
    """

    name: ClassVar[str] = "alif"
    state_variables: ClassVar[tuple] = ("v", "v_adp")
    per_neuron_parameters: ClassVar[tuple] = ("v_threshold", "beta", "input_scale")
    update: ClassVar[str] = (
        "v = gamma_v*v + I_chem + I_gap + input_scale*I_ext\n"
        "v_adp = gamma_adp*v_adp\n"
        "I_chem = 0"
    )
    threshold: ClassVar[str] = "v >= v_threshold + v_adp"
    reset: ClassVar[str] = "v = 0\nv_adp = v_adp + beta"

    v_threshold: float = _parameter(1.0, "1", "base firing threshold v_th (not given in the paper)")
    tau_membrane_ms: float = _parameter(20.0, "ms", "membrane time constant; gamma = exp(-dt/tau) = e^(-1/20)")
    beta: float = _parameter(0.5, "1", "threshold increase per spike (A.3.3 'adaptation time constant')")
    tau_adaptation_ms: float = _parameter(10.0, "ms", "adaptive threshold decay; gamma_s = exp(-dt/tau) = e^(-1/10)")
    input_scale: float = _parameter(1.0, "1", "factor on the external input I_ext")

    def constants(self, dt_ms):
        dt_ms = _check_dt(dt_ms)
        return {
            "gamma_v": _decay(dt_ms, self.tau_membrane_ms, "tau_membrane_ms"),
            "gamma_adp": _decay(dt_ms, self.tau_adaptation_ms, "tau_adaptation_ms"),
            "v_threshold": float(self.v_threshold),
            "beta": float(self.beta),
            "input_scale": float(self.input_scale),
        }


@dataclass(frozen=True)
class Izhikevich(NeuronModel):
    """Izhikevich neuron, Euler steps of Δτ = dt (Schmidgall et al. 2023, eqs. 3-4; A.3.3).

    Discrete update, one step, with ``h = dt / 1 ms`` (``h = 1`` in the paper)::

        v' = v + h·(0.04·v·v + 5·v + 140 - u + input_scale·I_ext) + I_chem + I_gap   (eq. 3)
        u  ← u + h·a·(b·v - u)                                                     (eq. 4)
        v  ← v'
        s = [v ≥ v_peak]
        v ← c, u ← u + d  where s

    ``v`` and ``u`` are in mV (stored as plain numbers); both right-hand
    sides use the state at the start of the step. The synaptic term
    ``Σ W·s(t)`` of eq. 3 is a jump (``I_chem``), applied one step after the
    spike: that is the appendix's 1 ms synaptic delay at ``dt = 1 ms``.

    The appendix's two scalars are not placed in the equations by the paper.
    **This package's reading** keeps eqs. 3-4 verbatim and puts them at the
    network's interfaces:

    - "Current Scalar 20.0" = ``input_scale``: the encoded observation is
      multiplied by 20 to become the external current, ``I = 20·x``;
    - "Voltage Constant Scalar 0.2" = ``readout_scale``: the factor a
      decoder applies to membrane voltages it reads (spikes are read as 0/1).
      It does not enter the dynamics.

    The appendix also lists an "adaptive threshold decay" for this model,
    which eqs. 3-4 have no use for; it is not used.

    Parameters
    ----------
    a, b, c, d : float
        Izhikevich parameters (0.02, 0.25, -58 mV, 0).
    v_peak : float
        Spike cut-off, 30 mV.
    v_initial : float
        Membrane potential at the start of a run (-65 mV; ``u = b·v``).
    input_scale : float
        Current scalar on ``I_ext`` (20.0).
    readout_scale : float
        Voltage scalar for decoders reading ``v`` (0.2).
    """

    name: ClassVar[str] = "izhikevich"
    state_variables: ClassVar[tuple] = ("v", "u")
    per_neuron_parameters: ClassVar[tuple] = ("a", "b", "c", "d", "input_scale")
    update: ClassVar[str] = (
        "v_next = v + h*(0.04*(v*v) + 5*v + 140 - u + input_scale*I_ext) + I_chem + I_gap\n"
        "u = u + h*a*(b*v - u)\n"
        "v = v_next\n"
        "I_chem = 0"
    )
    threshold: ClassVar[str] = "v >= v_peak"
    reset: ClassVar[str] = "v = c\nu = u + d"

    a: float = _parameter(0.02, "1/ms", "recovery time scale")
    b: float = _parameter(0.25, "1", "recovery sensitivity to v")
    c: float = _parameter(-58.0, "mV", "reset potential")
    d: float = _parameter(0.0, "mV", "recovery increment at a spike")
    v_peak: float = _parameter(30.0, "mV", "spike cut-off (spike when v >= 30 mV)")
    v_initial: float = _parameter(-65.0, "mV", "initial membrane potential (u starts at b*v)")
    input_scale: float = _parameter(20.0, "mV/ms per unit input", "A.3.3 current scalar: I = 20 * encoded input")
    readout_scale: float = _parameter(0.2, "1/mV", "A.3.3 voltage scalar, for decoders that read v (our reading)")

    @property
    def initial_state(self):
        return {"v": float(self.v_initial), "u": float(self.b * self.v_initial)}

    def constants(self, dt_ms):
        dt_ms = _check_dt(dt_ms)
        return {
            "h": dt_ms / 1.0,
            "a": float(self.a),
            "b": float(self.b),
            "c": float(self.c),
            "d": float(self.d),
            "v_peak": float(self.v_peak),
            "input_scale": float(self.input_scale),
        }


_MODELS = {"lif": LIF, "alif": ALIF, "izhikevich": Izhikevich}
MODEL_NAMES = tuple(_MODELS)
"""Names :func:`get_model` accepts."""


def get_model(name, **parameters):
    """The neuron model called ``name``, with optional parameter overrides.

    Parameters
    ----------
    name : {"lif", "alif", "izhikevich"} or NeuronModel
        Model name (case-insensitive). A model instance is returned as is
        (with ``parameters`` applied).
    **parameters
        Parameter values replacing the defaults, e.g. ``v_threshold=0.8``.

    Returns
    -------
    NeuronModel

    Raises
    ------
    ConfigError
        If the name or a parameter is unknown.

    Examples
    --------
    >>> get_model("alif").beta
    0.5
    """
    if isinstance(name, NeuronModel):
        return name.replace(**parameters) if parameters else name
    key = str(name).lower()
    if key not in _MODELS:
        raise ConfigError(f"unknown neuron model {name!r}; known models: {', '.join(MODEL_NAMES)}")
    model = _MODELS[key]()
    return model.replace(**parameters) if parameters else model


# --------------------------------------------------------------------- synapses
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


@dataclass(frozen=True)
class NeuromodulatedSTDP(STDP):
    """STDP gated by a neuromodulator through an eligibility trace (Bertens & Lee 2019).

    The pair updates of :class:`STDP` go into an eligibility trace ``e`` per
    synapse instead of the weight; the weight moves only by eligibility times
    the modulator ``M`` (a dopamine-like signal, the ``modulator`` variable of
    the postsynaptic neuron, set by the caller; 0 by default)::

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
