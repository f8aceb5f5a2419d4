"""Connectomes: the data model, bundled datasets, file readers, circuits and null models."""

from .bundled import list_connectomes, load_connectome
from .circuits import (
    COMMAND_INTERNEURON_CLASSES,
    LOCOMOTION_MOTOR_CLASSES,
    NAMED_CIRCUITS,
    Circuit,
    check_circuit_name,
    locomotion_circuit,
    named_circuit,
)
from .layering import DEFAULT_LAYERS, LayeredConnectome, layered_dag
from .model import CELL_CLASSES, Adjacency, Connectome, endpoint_dtype
from .networkx_io import from_networkx
from .null_models import (
    barabasi_albert_like,
    degree_preserving_rewire,
    erdos_renyi_like,
    statistics_matched,
    watts_strogatz_like,
)
from .readers import (
    FLYWIRE_NEUROTRANSMITTERS,
    read_edge_list,
    read_flywire_codex,
    read_neuprint,
)
from .statistics import connectome_stats

__all__ = [
    "CELL_CLASSES",
    "COMMAND_INTERNEURON_CLASSES",
    "DEFAULT_LAYERS",
    "FLYWIRE_NEUROTRANSMITTERS",
    "LOCOMOTION_MOTOR_CLASSES",
    "NAMED_CIRCUITS",
    "Adjacency",
    "Circuit",
    "Connectome",
    "LayeredConnectome",
    "barabasi_albert_like",
    "check_circuit_name",
    "connectome_stats",
    "degree_preserving_rewire",
    "endpoint_dtype",
    "erdos_renyi_like",
    "from_networkx",
    "layered_dag",
    "list_connectomes",
    "load_connectome",
    "locomotion_circuit",
    "named_circuit",
    "read_edge_list",
    "read_flywire_codex",
    "read_neuprint",
    "statistics_matched",
    "watts_strogatz_like",
]
