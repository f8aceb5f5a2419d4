"""Neuron and synapse models of the papers, each described once.

:mod:`~neuroworm.neurons.models` holds the neuron models (LIF, ALIF,
Izhikevich, the ReLU rate unit) and their registry, :mod:`~neuroworm.neurons.plasticity` the synapses (static
chemical, gap junctions) and the plasticity rules (STDP, eligibility-trace
STDP, gated STDP). Each class carries its Brian2 strings and, next to them,
the same discrete update in NumPy.
"""

from .models import (
    ALIF,
    LIF,
    MODEL_NAMES,
    Izhikevich,
    ModelTable,
    NeuronModel,
    ReLU,
    get_model,
    model_class,
    model_names,
    register_model,
    unregister_model,
)
from .plasticity import (
    PLASTICITY_RULES,
    STDP,
    ChemicalSynapse,
    EligibilitySTDP,
    GapJunction,
    GatedSTDP,
    NeuromodulatedSTDP,
    get_plasticity,
)

__all__ = [
    "ALIF",
    "LIF",
    "MODEL_NAMES",
    "PLASTICITY_RULES",
    "STDP",
    "ChemicalSynapse",
    "EligibilitySTDP",
    "GapJunction",
    "GatedSTDP",
    "Izhikevich",
    "ModelTable",
    "NeuromodulatedSTDP",
    "NeuronModel",
    "ReLU",
    "get_model",
    "get_plasticity",
    "model_class",
    "model_names",
    "register_model",
    "unregister_model",
]
