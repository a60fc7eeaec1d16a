import numpy as np
import pytest

import tensorlib as tf


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test starts with an empty default graph."""
    tf.reset_default_graph()
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
