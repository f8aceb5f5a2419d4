"""Circuits by name: the one table settings and worm files are read through."""

import pytest

from neuroworm.connectome import NAMED_CIRCUITS, check_circuit_name, locomotion_circuit, named_circuit
from neuroworm.errors import ConfigError, NeuroWormError


def test_named_circuits_are_the_locomotion_circuits():
    from neuroworm.connectome import load_connectome

    try:
        connectome = load_connectome("cook2019_hermaphrodite")
    except NeuroWormError:
        pytest.skip("the bundled Cook et al. (2019) data are not there")
    assert tuple(NAMED_CIRCUITS) == ("locomotion", "locomotion+command")
    plain, command = named_circuit(connectome, "locomotion"), named_circuit(connectome, "locomotion+command")
    expected = locomotion_circuit(connectome, command_interneurons=True)
    assert list(command.connectome.neurons.index) == list(expected.connectome.neurons.index)
    assert command.inputs == expected.inputs and command.outputs == expected.outputs
    assert plain.inputs == locomotion_circuit(connectome).inputs
    assert set(plain.inputs) < set(command.inputs) and plain.n_neurons < command.n_neurons


def test_an_unknown_circuit_name_is_a_config_error_naming_the_known_ones():
    assert check_circuit_name("locomotion") == "locomotion"
    with pytest.raises(ConfigError, match="unknown circuit 'brain'.*locomotion, locomotion\\+command"):
        check_circuit_name("brain")
    with pytest.raises(ConfigError, match="unknown circuit"):
        named_circuit(None, 3)
