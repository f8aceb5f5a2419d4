"""neuroworm: biological connectomes as networks that can be simulated and evolved.

Importing neuroworm is light: Brian2, MuJoCo and Dask are imported only by
the functions that need them.
"""

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

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "Circuit",
    "ConfigError",
    "Connectome",
    "ConnectomeError",
    "ConnectomeFileError",
    "GenomeError",
    "NeuroWormError",
    "TaskError",
    "UnknownConnectomeError",
    "barabasi_albert_like",
    "connectome_stats",
    "degree_preserving_rewire",
    "erdos_renyi_like",
    "from_networkx",
    "layered_dag",
    "list_connectomes",
    "load_connectome",
    "locomotion_circuit",
    "read_edge_list",
    "read_flywire_codex",
    "read_neuprint",
    "statistics_matched",
    "watts_strogatz_like",
    "__version__",
]
