"""Connectomes: the data model, bundled datasets, file readers, circuits and null models."""

from .bundled import list_connectomes, load_connectome
from .circuits import COMMAND_INTERNEURON_CLASSES, LOCOMOTION_MOTOR_CLASSES, Circuit, locomotion_circuit
from .model import CELL_CLASSES, Adjacency, Connectome

__all__ = [
    "CELL_CLASSES",
    "COMMAND_INTERNEURON_CLASSES",
    "LOCOMOTION_MOTOR_CLASSES",
    "Adjacency",
    "Circuit",
    "Connectome",
    "list_connectomes",
    "load_connectome",
    "locomotion_circuit",
]
