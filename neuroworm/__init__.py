"""neuroworm: biological connectomes as networks that can be simulated and evolved.

Importing neuroworm is light: Brian2, MuJoCo and Dask are imported only by
the functions that need them.
"""

from .backends import ReferenceNetwork
from .brian import BrianNetwork, build_network
from .connectome import (
    Circuit,
    Connectome,
    barabasi_albert_like,
    connectome_stats,
    degree_preserving_rewire,
    erdos_renyi_like,
    from_networkx,
    layered_dag,
    list_connectomes,
    load_connectome,
    locomotion_circuit,
    read_edge_list,
    read_flywire_codex,
    read_neuprint,
    statistics_matched,
    watts_strogatz_like,
)
from .control import ClosedLoopEvaluator, Controller, RolloutRecord, evaluate
from .errors import (
    CheckpointError,
    ConfigError,
    ConnectomeError,
    ConnectomeFileError,
    GenomeError,
    NeuroWormError,
    TaskError,
    UnknownConnectomeError,
)
from .genome import GenomeLayout, LayeredLayout
from .neurons import ALIF, LIF, STDP, Izhikevich, NeuromodulatedSTDP, get_model
from .openloop import OpenLoopEvaluator

__version__ = "0.1.0"

__all__ = [
    "ALIF",
    "LIF",
    "STDP",
    "BrianNetwork",
    "CheckpointError",
    "Circuit",
    "ClosedLoopEvaluator",
    "ConfigError",
    "Connectome",
    "ConnectomeError",
    "ConnectomeFileError",
    "Controller",
    "GenomeError",
    "GenomeLayout",
    "Izhikevich",
    "LayeredLayout",
    "NeuroWormError",
    "NeuromodulatedSTDP",
    "OpenLoopEvaluator",
    "ReferenceNetwork",
    "RolloutRecord",
    "TaskError",
    "UnknownConnectomeError",
    "__version__",
    "barabasi_albert_like",
    "build_network",
    "connectome_stats",
    "degree_preserving_rewire",
    "erdos_renyi_like",
    "evaluate",
    "from_networkx",
    "get_model",
    "layered_dag",
    "list_connectomes",
    "load_connectome",
    "locomotion_circuit",
    "read_edge_list",
    "read_flywire_codex",
    "read_neuprint",
    "statistics_matched",
    "watts_strogatz_like",
]
