"""Test-suite settings: one hypothesis profile, float64 gradient checks, no deadlines.

The suite must stay well under CI's 20-minute budget on 2 cores, so example
counts are modest; `HYPOTHESIS_PROFILE=thorough` runs many more locally.
"""
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

# Tests import each other's tables as `from test_nn_layers import ...` (strategies: minigrad.testing).
sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "ci", max_examples=20, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
# random programs (tests/test_random_programs.py) at full strength: at least 10,000 programs
settings.register_profile(
    "stress", max_examples=10_000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# tools/mutation.py: the CI examples without shrinking (a caught mutant is reported at once)
settings.register_profile(
    "mutation", parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _seed_and_default_dtype():
    """Every test starts from seed 0 and the float32 default dtype."""
    import minigrad as mg
    mg.manual_seed(0)
    np.random.seed(0)
    prev = mg.get_default_dtype()
    yield
    mg.set_default_dtype(prev)
