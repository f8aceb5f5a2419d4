import numpy as np
import pytest

from neuroworm.errors import ConfigError, GenomeError
from neuroworm.validation import check_count, check_positive_int


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.int32(1)])
def test_positive_int_accepts_integers(value):
    assert check_positive_int("population", value) == int(value)
    assert type(check_positive_int("population", value)) is int


@pytest.mark.parametrize("value", [0, -2, True, False, 3.0, 0.5, "4", None, np.bool_(True), np.float64(2.0)])
def test_positive_int_refuses_everything_else_naming_the_setting(value):
    with pytest.raises(ConfigError, match="population"):
        check_positive_int("population", value)


def test_count_allows_zero_but_not_negative_and_raises_the_asked_error():
    assert check_count("seed", 0) == 0
    with pytest.raises(ConfigError, match="seed must be an integer >= 0, got -1"):
        check_count("seed", -1)
    with pytest.raises(GenomeError, match="slice"):
        check_count("slice", 1.5, error=GenomeError)
