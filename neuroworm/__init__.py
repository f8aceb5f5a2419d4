"""neuroworm: biological connectomes as networks that can be simulated and evolved.

Importing neuroworm is light: Brian2, MuJoCo and Dask are imported only by
the functions that need them.
"""

from .connectome import (
    Circuit,
    Connectome,
    list_connectomes,
    load_connectome,
    locomotion_circuit,
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
    "list_connectomes",
    "load_connectome",
    "locomotion_circuit",
    "__version__",
]
