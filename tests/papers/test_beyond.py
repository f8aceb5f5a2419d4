"""beyond:vision at toy size: the documented inputs and outputs, same-size controls, fair scales, a result per network."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.papers import beyond, priors
from neuroworm.papers.verdict import Ordering

TOY = {"ga_generations": 2, "ga_population": 4, "elites": 1, "heldout_every": 1, "train_per_class": 6,
       "validation_per_class": 1, "test_per_class": 2, "reference": False}


def test_vision_circuits_have_the_documented_inputs_outputs_and_sizes():
    from neuroworm.openloop import OpenLoopEvaluator

    networks = beyond.vision_circuits(seed=0)
    lobe, body = networks["optic_lobe"], networks["mushroom_body"]
    assert sorted(lobe.inputs) == [f"R{i}" for i in range(1, 9)]
    assert len(lobe.outputs) == 34 and {"T4a", "T5d", "Tm1"} <= set(lobe.outputs)
    assert len(body.inputs) == 58 and all(name.startswith("PN") for name in body.inputs)
    assert len(body.outputs) == 29 and all(name.startswith("MBON") for name in body.outputs)
    assert (np.asarray(body.chemical_sign) > 0).all()          # no transmitters in the source: excitatory
    assert "worm_locomotion" in networks and "worm_locomotion" not in beyond.vision_circuits(0, reference=False)
    images, labels = np.zeros((2, 784)), np.array([0, 9])
    for family, circuit in (("optic_lobe", lobe), ("mushroom_body", body)):
        control, mlp = networks[f"{family}_statistics"], networks[f"{family}_mlp"]
        assert control.n_neurons == circuit.n_neurons and control.n_chemical == circuit.n_chemical
        assert control.inputs == circuit.inputs and control.outputs == circuit.outputs
        assert len(mlp.inputs) == len(circuit.inputs)
        assert mlp.n_chemical == len(mlp.inputs) * len(mlp.outputs)
        assert 0.3 < np.mean(np.asarray(mlp.chemical_sign) > 0) < 0.7     # an MLP's signs, not the circuit's
        sizes = [OpenLoopEvaluator(net, "relu", images, labels, n_classes=10).layout.size for net in (circuit, mlp)]
        assert abs(sizes[0] - sizes[1]) <= len(circuit.inputs) + 10   # equal parameters, to one hidden cell
    assert beyond.equal_parameter_width(lobe) == 52 and beyond.equal_parameter_width(body) == 113


def test_the_chosen_scales_read_the_training_digits_only(tmp_path):
    """Changing the test (and validation) digits leaves every chosen scale as it was; the training digits move it."""
    first = beyond.vision(seed=0, circuits=("optic_lobe",), **TOY)
    other = beyond.vision(seed=0, circuits=("optic_lobe",), **dict(TOY, test_per_class=4, validation_per_class=2))
    same = priors.mnist_splits(dict(TOY, test_per_class=4, validation_per_class=2), 0)
    np.testing.assert_array_equal(priors.mnist_splits(TOY, 0)["train"][0], same["train"][0])
    assert first.ours["mnist_test_set"] != other.ours["mnist_test_set"]
    columns = ["network", "log_weight_shift", "tonic_ratio", "input_gain", "tonic", "readout_accuracy"]
    assert first.table[columns].equals(other.table[columns])
    assert first.ours["scaling_grid"] == other.ours["scaling_grid"]
    moved = beyond.vision_scalings(beyond.vision_circuits(0, ("optic_lobe",), reference=False),
                                   priors.mnist_splits(dict(TOY, train_per_class=7), 0)["train"], seed=0)
    assert [moved[label]["grid"] for label in moved] != [first.ours["scaling_grid"][label] for label in moved]


def test_vision_declares_its_claims_and_reports_activity_at_the_chosen_scale():
    result = beyond.vision(seed=0, circuits=("optic_lobe",), **TOY)
    labels = {"optic_lobe", "optic_lobe_statistics", "optic_lobe_mlp"}
    assert {name for name in result.samples if not name.endswith(("_active_digits", "_spread"))} == labels
    assert all(0.0 <= result.samples[name] <= 1.0 for name in labels)
    assert {(claim.greater, claim.lesser) for claim in result.claims if isinstance(claim, Ordering)} == {
        ("optic_lobe", "optic_lobe_statistics"), ("optic_lobe", "optic_lobe_mlp")}
    rows = result.table.set_index("network")
    assert rows.loc["optic_lobe_statistics", "paper_active_digits"] == 0.0   # silent at the paper's weights
    assert (rows["fair"]).all() and (rows["initial_active_digits"] == 1.0).all()
    table, figure = beyond.vision_assemble([{"ours": result.ours}, {"ours": result.ours}])
    assert len(table) == 6 and figure is not None
    with pytest.raises(ConfigError, match="unknown circuits"):
        beyond.vision(circuits=("retina",))
    with pytest.raises(ConfigError, match="unknown options"):
        beyond.vision(population=3)


@pytest.mark.slow
def test_vision_resumes_from_its_checkpoints_to_the_same_numbers(tmp_path):
    options = dict(TOY, ga_generations=3)
    first = beyond.vision(seed=0, work=tmp_path, **options)
    assert {"optic_lobe", "mushroom_body", "mushroom_body_statistics", "mushroom_body_mlp"} <= set(first.samples)
    again = beyond.vision(seed=0, work=tmp_path, **options)
    assert first.samples == again.samples
