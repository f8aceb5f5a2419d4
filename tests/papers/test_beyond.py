"""beyond:vision at toy size: the documented inputs and outputs, same-size controls, a result per network."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.papers import beyond


def test_vision_circuits_have_the_documented_inputs_outputs_and_sizes():
    networks = beyond.vision_circuits(seed=0)
    lobe, body = networks["optic_lobe"], networks["mushroom_body"]
    assert sorted(lobe.inputs) == [f"R{i}" for i in range(1, 9)]
    assert len(lobe.outputs) == 34 and {"T4a", "T5d", "Tm1"} <= set(lobe.outputs)
    assert len(body.inputs) == 58 and all(name.startswith("PN") for name in body.inputs)
    assert len(body.outputs) == 29 and all(name.startswith("MBON") for name in body.outputs)
    assert (np.asarray(body.chemical_sign) > 0).all()          # no transmitters in the source: excitatory
    for family, circuit in (("optic_lobe", lobe), ("mushroom_body", body)):
        control, mlp = networks[f"{family}_statistics"], networks[f"{family}_mlp"]
        assert control.n_neurons == mlp.n_neurons == circuit.n_neurons
        assert control.n_chemical == circuit.n_chemical
        assert control.inputs == circuit.inputs and control.outputs == circuit.outputs
        assert len(mlp.inputs) == len(circuit.inputs)
        assert mlp.n_chemical == len(mlp.inputs) * len(mlp.outputs)


@pytest.mark.slow
def test_vision_toy_run(tmp_path):
    result = beyond.vision(seed=0, out=tmp_path, circuits=("optic_lobe",), ga_generations=2, ga_population=4,
                           elites=1, seeds=1, heldout_every=1, train_per_class=2, validation_per_class=1,
                           test_per_class=2)
    assert set(result.ours["networks"]) == {"optic_lobe", "optic_lobe_statistics", "optic_lobe_mlp",
                                            "worm_locomotion"}
    for summary in result.ours["networks"].values():
        assert 0.0 <= summary["test_accuracy"]["mean"] <= 1.0
    assert "R1-R8" in result.notes
    with pytest.raises(ConfigError, match="unknown circuits"):
        beyond.vision(circuits=("retina",))
    with pytest.raises(ConfigError, match="unknown options"):
        beyond.vision(population=3)
