"""Circuits: a connectome with designated input and output cells, ready to simulate.

A :class:`Circuit` fixes the neuron order every backend uses and turns the
connectome's tables into integer index arrays (synapse ``pre``/``post``
indices, Dale signs, gap-junction pairs). It is the object that
:class:`neuroworm.genome.GenomeLayout` and the network builders consume.
"""

import functools
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import ConfigError, ConnectomeError
from .model import Connectome

__all__ = ["COMMAND_INTERNEURON_CLASSES", "LOCOMOTION_MOTOR_CLASSES", "NAMED_CIRCUITS", "Circuit", "check_circuit_name",
           "locomotion_circuit", "named_circuit"]

LOCOMOTION_MOTOR_CLASSES = ("AS", "DA", "DB", "DD", "VA", "VB", "VD")
"""Ventral-cord motor neuron classes of the locomotion circuit (Haspel & O'Donovan 2011)."""

COMMAND_INTERNEURON_CLASSES = ("AVA", "AVB", "AVD", "AVE", "PVC")
"""Command interneurons of forward and backward locomotion (Chalfie et al. 1985)."""


@dataclass(frozen=True, eq=False)
class Circuit:
    """A connectome with input cells (driven by an encoder) and output cells (read by a decoder).

    Parameters
    ----------
    connectome : Connectome
        The wiring. Its neuron table order is the circuit's neuron order.
    inputs : sequence of str
        Cells that receive encoded observations.
    outputs : sequence of str
        Cells whose activity is decoded into actions or labels.
    name : str, optional
        Label used in figures and logs.
    unknown_sign : {+1, -1}
        Sign given to synapses whose presynaptic cell (and edge) has no known
        sign. The default +1 treats them as excitatory, as for cholinergic
        motor neurons; it is a modelling choice, recorded here so that it is
        explicit and configurable.

    Raises
    ------
    ConnectomeError
        If the circuit has no cells, an input or output is not a cell, or
        ``unknown_sign`` is not ±1.
    """

    connectome: Connectome
    inputs: tuple
    outputs: tuple
    name: str = "circuit"
    unknown_sign: int = 1

    def __post_init__(self):
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        if len(self.connectome.neurons) == 0:
            raise ConnectomeError(f"circuit {self.name!r} has no neurons")
        if self.unknown_sign not in (-1, 1):
            raise ConnectomeError(f"unknown_sign must be +1 or -1, got {self.unknown_sign!r}")
        for role, cells in (("input", self.inputs), ("output", self.outputs)):
            missing = [c for c in cells if c not in self.connectome.neurons.index]
            if missing:
                raise ConnectomeError(f"circuit {self.name!r}: {role} cells {missing[:10]} are not in the connectome")

    def __repr__(self):
        return (
            f"<Circuit {self.name!r}: {self.n_neurons} cells, {self.n_chemical} chemical synapses, "
            f"{self.n_electrical} gap junctions, {len(self.inputs)} inputs, {len(self.outputs)} outputs>"
        )

    @cached_property
    def names(self):
        """Cell names in simulation order."""
        return self.connectome.names

    @property
    def n_neurons(self):
        """Number of cells simulated."""
        return len(self.names)

    @cached_property
    def _position(self):
        return pd.Index(self.names)

    def index_of(self, cells):
        """Positions of ``cells`` in :attr:`names` (int array)."""
        positions = self._position.get_indexer(list(cells))
        if (positions < 0).any():
            missing = [c for c, p in zip(cells, positions, strict=True) if p < 0]
            raise ConnectomeError(f"circuit {self.name!r}: unknown cells {missing[:10]}")
        return positions.astype(np.int64)

    @cached_property
    def input_index(self):
        """Positions of the input cells."""
        return self.index_of(self.inputs)

    @cached_property
    def output_index(self):
        """Positions of the output cells."""
        return self.index_of(self.outputs)

    @property
    def n_chemical(self):
        """Number of chemical synapses (directed edges)."""
        return len(self.connectome.chemical)

    @property
    def n_electrical(self):
        """Number of gap-junction pairs."""
        return len(self.connectome.electrical)

    @cached_property
    def chemical_pre(self):
        """Presynaptic index of each chemical synapse."""
        return self.index_of(self.connectome.chemical["pre"])

    @cached_property
    def chemical_post(self):
        """Postsynaptic index of each chemical synapse."""
        return self.index_of(self.connectome.chemical["post"])

    @cached_property
    def chemical_count(self):
        """Anatomical weight of each chemical synapse (e.g. EM sections), from the connectome."""
        return self.connectome.chemical["weight"].to_numpy(float)

    @cached_property
    def chemical_sign(self):
        """Dale sign ``s`` of each chemical synapse (+1 or -1), for ``w = s·exp(w_log)``."""
        return self.connectome.edge_signs(unknown=self.unknown_sign).astype(np.int8)

    @cached_property
    def electrical_a(self):
        """First cell index of each gap-junction pair."""
        return self.index_of(self.connectome.electrical["a"])

    @cached_property
    def electrical_b(self):
        """Second cell index of each gap-junction pair."""
        return self.index_of(self.connectome.electrical["b"])

    @cached_property
    def electrical_count(self):
        """Anatomical weight of each gap junction, from the connectome."""
        return self.connectome.electrical["weight"].to_numpy(float)


def _cell_type(connectome):
    neurons = connectome.neurons
    if "cell_type" in neurons.columns:
        types = neurons["cell_type"].astype("string")
        fallback = pd.Series([re.sub(r"\d+$", "", n) for n in neurons.index], index=neurons.index, dtype="string")
        return types.fillna(fallback)
    return pd.Series([re.sub(r"\d+$", "", n) for n in neurons.index], index=neurons.index)


def locomotion_circuit(connectome, command_interneurons=False, name=None):
    """The C. elegans ventral-cord locomotion circuit, as used by Schmidgall et al. (2023).

    The circuit keeps the motor neurons of classes AS, DA, DB, DD, VA, VB and
    VD (:data:`LOCOMOTION_MOTOR_CLASSES`; Haspel & O'Donovan 2011), optionally
    the command interneurons AVA, AVB, AVD, AVE and PVC, and the body-wall
    muscles those motor neurons synapse onto, with every chemical synapse and
    gap junction among the kept cells. Inputs are the motor neurons (the
    paper's encoder drives them), outputs the body-wall muscles (the paper's
    decoder reads them).

    Parameters
    ----------
    connectome : Connectome
        A C. elegans connectome that includes muscles, e.g.
        ``load_connectome("cook2019_hermaphrodite")``.
    command_interneurons : bool
        Also keep the command interneurons (as inputs too).
    name : str, optional
        Circuit name (default ``"locomotion"``).

    Returns
    -------
    Circuit

    Raises
    ------
    ConnectomeError
        If the connectome has none of these motor neurons, or no muscle they
        synapse onto.

    References
    ----------
    Haspel, G. & O'Donovan, M. J. (2011). A perimotor framework reveals
    functional segmentation in the motoneuronal network controlling locomotion
    in Caenorhabditis elegans. J. Neurosci. 31(41), 14611–14623.

    Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as
    a representation for the architecture of artificial neural networks.
    """
    types = _cell_type(connectome)
    neurons = connectome.neurons
    motor = [n for n in neurons.index if types[n] in LOCOMOTION_MOTOR_CLASSES and neurons.loc[n, "cell_class"] != "muscle"]
    if not motor:
        raise ConnectomeError(
            f"{connectome.name}: no ventral-cord motor neurons of classes {LOCOMOTION_MOTOR_CLASSES}"
        )
    interneurons = []
    if command_interneurons:
        interneurons = [n for n in neurons.index if types[n] in COMMAND_INTERNEURON_CLASSES]
    chemical = connectome.chemical
    driven = set(chemical.loc[chemical["pre"].isin(motor), "post"])
    muscles = [n for n in neurons.index if n in driven and neurons.loc[n, "cell_class"] == "muscle"]
    if not muscles:
        raise ConnectomeError(f"{connectome.name}: the locomotion motor neurons synapse onto no muscle")
    keep = interneurons + motor + muscles
    sub = connectome.subset(keep, name=f"{connectome.name}[locomotion]")
    return Circuit(sub, inputs=tuple(interneurons + motor), outputs=tuple(muscles), name=name or "locomotion")


NAMED_CIRCUITS = {
    "locomotion": functools.partial(locomotion_circuit, command_interneurons=False),
    "locomotion+command": functools.partial(locomotion_circuit, command_interneurons=True),
}
"""Circuits that settings and worm files name: name → ``function(connectome) -> Circuit``.

``"locomotion"``: :func:`locomotion_circuit`; ``"locomotion+command"``: the
same with the command interneurons. A new named circuit is one entry here.
"""


def check_circuit_name(name):
    """``name`` if it is a key of :data:`NAMED_CIRCUITS`, else raise.

    Raises
    ------
    ConfigError
        Naming the unknown circuit and the known ones.
    """
    if not isinstance(name, str) or name not in NAMED_CIRCUITS:
        raise ConfigError(f"unknown circuit {name!r}; known circuits: {', '.join(NAMED_CIRCUITS)}")
    return name


def named_circuit(connectome, name):
    """The circuit called ``name`` (:data:`NAMED_CIRCUITS`) in ``connectome``.

    Parameters
    ----------
    connectome : Connectome
    name : str
        ``"locomotion"`` or ``"locomotion+command"``.

    Returns
    -------
    Circuit

    Raises
    ------
    ConfigError
        For a name that is not in :data:`NAMED_CIRCUITS`.
    ConnectomeError
        If the connectome lacks the circuit's cells.

    Examples
    --------
    >>> named_circuit(load_connectome("cook2019_hermaphrodite"), "locomotion+command").name
    'locomotion'
    """
    return NAMED_CIRCUITS[check_circuit_name(name)](connectome)
