"""tf.estimator.inputs: input_fns made from in-memory data."""
from tensorlib.estimator.inputs.numpy_io import numpy_input_fn  # noqa: F401
