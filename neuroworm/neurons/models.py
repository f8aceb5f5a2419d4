"""Neuron and synapse models of the papers, as discrete-time maps.

Every model here is a small frozen dataclass holding its parameters (with
their units and the papers' defaults), the Brian2 strings that implement it
(variable declarations, the per-step update, the threshold condition and the
reset) and, next to them, the same discrete update in NumPy
(:meth:`NeuronModel.numpy_update`, :meth:`~NeuronModel.numpy_threshold`,
:meth:`~NeuronModel.numpy_reset`), written with the same operations in the
same order, which :mod:`neuroworm.backends.reference` calls without knowing
which model it runs. A test checks that both give the same spikes and
states, bit for bit.

A model is one class, registered once
-------------------------------------
A model class also carries the facts the rest of the package reads about it
(class attributes, see :class:`NeuronModel`): its name and aliases, the
neural steps per environment step of the closed loop and per image of the
open loop, the constants evolution strategies may tune, its default
backends, and its initial log-weights and encoder/decoder range (which the
``[neurons.<name>]`` table of ``models/schmidgall2023.toml`` overrides for
the paper's models). :func:`register_model` puts a class in the registry
(:func:`get_model`, :func:`model_class`, :func:`model_names`); every table
that says something per model (:data:`neuroworm.control.DEFAULT_NEURAL_STEPS_PER_ENV_STEP`,
:data:`neuroworm.openloop.DEFAULT_STEPS`, ...) is a :class:`ModelTable`, a
read-only view of the registry. A new model is one class here and one
``@register_model`` line (or a :func:`register_model` call from user code);
``tests/neurons/test_toy_model.py`` defines one in the test file and runs it
through Brian2, the reference and the closed loop.

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

Izhikevich, E. M. (2003). Simple model of spiking neurons. IEEE Trans.
Neural Netw. 14:1569 (the model's equations and its initial ``u = b·v``).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from ..errors import ConfigError

__all__ = ["ALIF", "LIF", "MODEL_NAMES", "Izhikevich", "ModelTable", "NeuronModel", "ReLU", "get_model",
           "model_class", "model_names", "register_model", "unregister_model"]


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

    The facts the package reads about a model, as class attributes (a
    subclass overrides those that differ):

    ``name``, ``aliases``
        The name :func:`get_model` knows it by (lower case), and other
        names for it.
    ``spiking``
        Whether the Brian2 and NumPy reference backends run it (a model with
        strings and a NumPy update); ``False`` for a rate model run by its
        own backend (:class:`ReLU`).
    ``neural_steps_per_env_step``
        K, the closed loop's neural steps per environment step
        (:func:`neuroworm.control.default_neural_steps`).
    ``open_loop_steps``
        T, neural steps per image in the open loop
        (:class:`neuroworm.openloop.OpenLoopEvaluator`).
    ``tunable_constants``
        Neuron constants an evolution strategy tunes (per cell role) in
        pre-training (:mod:`neuroworm.pipelines.pretraining`); each must be
        in ``per_neuron_parameters``.
    ``default_backend``, ``open_loop_backend``
        Registered backend names for the closed loop (and saved genomes)
        and for open-loop evaluation.
    ``initial_log_weights``, ``encoder_decoder_range``
        Initial ``(excitatory, inhibitory)`` log-weights and the uniform
        range of the encoder and decoder
        (:func:`neuroworm.genome.paper_initial_values`); the
        ``[neurons.<initial_values_table>]`` table of
        ``models/schmidgall2023.toml`` overrides them where it has one.
    ``initial_values_table``
        That table's name (default: the model's own name).
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple] = ()
    spiking: ClassVar[bool] = True
    neural_steps_per_env_step: ClassVar[int] = 4
    open_loop_steps: ClassVar[int] = 20
    tunable_constants: ClassVar[tuple] = ()
    default_backend: ClassVar[str] = "reference"
    open_loop_backend: ClassVar[str] = "reference"
    initial_log_weights: ClassVar[tuple] = (-1.0, -1.5)
    encoder_decoder_range: ClassVar[tuple] = (-0.3, 0.3)
    initial_values_table: ClassVar[str | None] = None
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
        """Value of each state variable at the start of a run (with the model's own parameters)."""
        return {variable: 0.0 for variable in self.state_variables}

    def initial_values(self, parameter):
        """Value of each state variable at the start of a run, for a network's parameters.

        Parameters
        ----------
        parameter : callable
            ``parameter(name)``: the network's value of a parameter, a
            scalar or, for a parameter held per neuron, an array (P, N).

        Returns
        -------
        dict of str to float or numpy.ndarray
        """
        return self.initial_state

    # The discrete update in NumPy, the same operations in the same order as the Brian2 strings.
    # ``state`` maps variable names to (P, N) arrays (the model's state, I_chem, I_gap, I_ext);
    # ``parameter(name)`` gives a constant or a per-neuron (P, N) array.
    def numpy_update(self, state, parameter):
        """Apply :attr:`update` to ``state`` in place (``I_chem`` is cleared by the caller)."""
        raise NotImplementedError

    def numpy_threshold(self, state, parameter):
        """:attr:`threshold` as a bool array (P, N)."""
        raise NotImplementedError

    def numpy_reset(self, state, spikes, parameter):
        """Apply :attr:`reset` where ``spikes`` (P, N) is True, in place."""
        raise NotImplementedError

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


_REGISTRY = {}
"""Registered models: name → class (:func:`register_model`)."""

_ALIASES = {}
"""Other names: alias → registered name."""


def register_model(model, *, replace=False):
    """Register a neuron model class under its :attr:`~NeuronModel.name` and aliases.

    Usable as a class decorator (``@register_model``). Everything that says
    something per model reads it from the registered class from then on.

    Parameters
    ----------
    model : type
        A subclass of :class:`NeuronModel` (a frozen dataclass) with a
        non-empty lower-case ``name``.
    replace : bool
        Allow replacing a model (or alias) registered under the same name.

    Returns
    -------
    type
        ``model``, unchanged.

    Raises
    ------
    ConfigError
        If ``model`` is not a :class:`NeuronModel` subclass, has no name,
        declares a tunable constant it does not hold per neuron, or its name
        or an alias is taken (and ``replace`` is False).

    Examples
    --------
    >>> @register_model
    ... @dataclass(frozen=True)
    ... class Toy(LIF):
    ...     name: ClassVar[str] = "toy"
    >>> get_model("toy").name
    'toy'
    """
    if not (isinstance(model, type) and issubclass(model, NeuronModel)):
        raise ConfigError(f"a neuron model must be a subclass of NeuronModel, got {model!r}")
    name = model.name
    if not isinstance(name, str) or not name or name != name.lower():
        raise ConfigError(f"{model.__name__}: a neuron model needs a lower-case name, got {name!r}")
    bad = [c for c in model.tunable_constants if c not in model.per_neuron_parameters]
    if bad:
        raise ConfigError(f"{model.__name__}: tunable_constants {bad} are not in per_neuron_parameters "
                          f"{list(model.per_neuron_parameters)}")
    for key in (name, *model.aliases):
        holder = _REGISTRY.get(_ALIASES.get(key, key))
        if holder is not None and holder is not model and not replace:
            raise ConfigError(f"neuron model name {key!r} is taken by {holder.__name__}; pass replace=True")
    _REGISTRY[name] = model
    for alias in model.aliases:
        _ALIASES[alias.lower()] = name
    return model


def unregister_model(name):
    """Remove a registered model and its aliases (a test's toy model, say); unknown names are ignored."""
    model = _REGISTRY.pop(str(name).lower(), None)
    if model is not None:
        for alias in [a for a, target in _ALIASES.items() if target == model.name]:
            del _ALIASES[alias]


def model_names(*, spiking=None, aliases=False):
    """Names of the registered models, in registration order.

    Parameters
    ----------
    spiking : bool, optional
        Only spiking models (``True``) or only rate models (``False``).
    aliases : bool
        Include the aliases (after the names).

    Returns
    -------
    tuple of str
    """
    names = [n for n, m in _REGISTRY.items() if spiking is None or m.spiking == spiking]
    if aliases:
        names += [a for a, n in _ALIASES.items() if n in names]
    return tuple(names)


def model_class(name):
    """The registered class of a model name or alias (case-insensitive), or of a model instance.

    Raises
    ------
    ConfigError
        If no model is registered under ``name``; the message lists the known names.
    """
    if isinstance(name, NeuronModel):
        return type(name)
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ConfigError(f"unknown neuron model {name!r}; known models: {', '.join(model_names(aliases=True))}")
    return _REGISTRY[key]


class ModelTable(Mapping):
    """A read-only view ``{model name: fact}`` of the registry, always current.

    Parameters
    ----------
    fact : str
        The class attribute to read (e.g. ``"neural_steps_per_env_step"``).
    spiking : bool, optional
        Only spiking (``True``) or rate (``False``) models.
    aliases : bool
        Also answer for aliases (and list them).

    Examples
    --------
    >>> ModelTable("neural_steps_per_env_step", spiking=True)["izhikevich"]
    10
    """

    def __init__(self, fact, *, spiking=None, aliases=False):
        self.fact, self.spiking, self.aliases = fact, spiking, aliases

    def __getitem__(self, name):
        if name not in model_names(spiking=self.spiking, aliases=self.aliases):
            raise KeyError(name)
        return getattr(model_class(name), self.fact)

    def __iter__(self):
        return iter(model_names(spiking=self.spiking, aliases=self.aliases))

    def __len__(self):
        return len(model_names(spiking=self.spiking, aliases=self.aliases))

    def __repr__(self):
        return repr(dict(self))


@register_model
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
    tunable_constants: ClassVar[tuple] = ("v_threshold", "input_scale")
    initial_log_weights: ClassVar[tuple] = (-1.0, -1.5)
    initial_values_table: ClassVar[str] = "alif"  # the paper does not train LIF: ALIF's initial values
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

    def numpy_update(self, state, parameter):
        state["v"] = parameter("gamma_v") * state["v"] + state["I_chem"] + state["I_gap"] \
            + parameter("input_scale") * state["I_ext"]

    def numpy_threshold(self, state, parameter):
        return state["v"] >= parameter("v_threshold")

    def numpy_reset(self, state, spikes, parameter):
        state["v"] = np.where(spikes, 0.0, state["v"])


@register_model
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
    tunable_constants: ClassVar[tuple] = ("v_threshold", "beta", "input_scale")
    initial_log_weights: ClassVar[tuple] = (-1.0, -1.5)
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

    def numpy_update(self, state, parameter):
        state["v"] = parameter("gamma_v") * state["v"] + state["I_chem"] + state["I_gap"] \
            + parameter("input_scale") * state["I_ext"]
        state["v_adp"] = parameter("gamma_adp") * state["v_adp"]

    def numpy_threshold(self, state, parameter):
        return state["v"] >= parameter("v_threshold") + state["v_adp"]

    def numpy_reset(self, state, spikes, parameter):
        state["v"] = np.where(spikes, 0.0, state["v"])
        state["v_adp"] = np.where(spikes, state["v_adp"] + parameter("beta"), state["v_adp"])


@register_model
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
        Membrane potential at the start of a run (-65 mV); ``u`` starts at
        ``b·v_initial`` with each neuron's own ``b`` when ``b`` is evolved
        per neuron.
    input_scale : float
        Current scalar on ``I_ext`` (20.0).
    readout_scale : float
        Voltage scalar for decoders reading ``v`` (0.2).
    """

    name: ClassVar[str] = "izhikevich"
    neural_steps_per_env_step: ClassVar[int] = 10  # a few ms to depolarise from rest to the peak
    tunable_constants: ClassVar[tuple] = ("input_scale",)
    initial_log_weights: ClassVar[tuple] = (2.0, 1.0)
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

    def initial_values(self, parameter):
        """``v = v_initial`` and ``u = b·v_initial`` with each neuron's own ``b`` (Izhikevich 2003)."""
        v_initial = float(self.v_initial)
        return {"v": v_initial, "u": parameter("b") * v_initial}

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

    def numpy_update(self, state, parameter):
        v, u = state["v"], state["u"]
        h = parameter("h")
        # Parenthesised as Brian2 renders :attr:`update` (after its SymPy pass), so that both
        # compute the same floating-point operations in the same order (eq. 3):
        # v' = v + h·(0.04·v² + 5·v + 140 - u + input_scale·I_ext) + I_chem + I_gap
        drive = (0.04 * (v * v) + 5.0 * v) + parameter("input_scale") * state["I_ext"]
        v_next = ((v + h * ((140.0 + drive) - u)) + state["I_chem"]) + state["I_gap"]
        state["u"] = u + h * parameter("a") * (parameter("b") * v - u)
        state["v"] = v_next

    def numpy_threshold(self, state, parameter):
        return state["v"] >= parameter("v_peak")

    def numpy_reset(self, state, spikes, parameter):
        state["u"] = np.where(spikes, state["u"] + parameter("d"), state["u"])
        state["v"] = np.where(spikes, parameter("c"), state["v"])


@register_model
@dataclass(frozen=True)
class ReLU(NeuronModel):
    """The artificial neuron of Schmidgall et al. (2023), a rate unit (``"relu"``, alias ``"artificial"``).

    One step, for every cell of the circuit::

        z(t+1) = ReLU( Σ_i w_i·z_i(t) + Σ_k g_k·(z_k(t) - z(t)) + I_ext )

    It has no threshold, reset or state besides ``z``, and no Brian2
    strings: :mod:`neuroworm.backends.relu` steps whole networks of it as
    one sparse product (``"relu"``, the closed loop's default) or, in the
    open loop, as dense products sharing each genome's weights across
    images (``"dense"``). A rate read once per environment step needs
    K = 1; an image gets T = 4 steps, enough for activity to cross the two
    synapses of a two-layer network.
    """

    name: ClassVar[str] = "relu"
    aliases: ClassVar[tuple] = ("artificial",)
    spiking: ClassVar[bool] = False
    neural_steps_per_env_step: ClassVar[int] = 1
    open_loop_steps: ClassVar[int] = 4
    default_backend: ClassVar[str] = "relu"
    open_loop_backend: ClassVar[str] = "dense"
    initial_log_weights: ClassVar[tuple] = (-2.5, -3.0)
    state_variables: ClassVar[tuple] = ("z",)

    def constants(self, dt_ms):
        _check_dt(dt_ms)
        return {}


MODEL_NAMES = ("lif", "alif", "izhikevich")
"""The papers' spiking models (:func:`model_names` lists every registered one, a user's included)."""


def get_model(name, **parameters):
    """The neuron model called ``name``, with optional parameter overrides.

    Parameters
    ----------
    name : str or NeuronModel
        A registered model's name or alias, case-insensitive (``"lif"``,
        ``"alif"``, ``"izhikevich"``, ``"relu"``, or one registered with
        :func:`register_model`). A model instance is returned as is (with
        ``parameters`` applied).
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
    model = model_class(name)()
    return model.replace(**parameters) if parameters else model


