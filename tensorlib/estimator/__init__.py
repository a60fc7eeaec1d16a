"""tf.estimator: Estimator, EstimatorSpec, ModeKeys, RunConfig and input functions."""
from tensorlib.estimator import inputs  # noqa: F401
from tensorlib.estimator.estimator import Estimator, set_progress_bar  # noqa: F401
from tensorlib.estimator.model_fn import EstimatorSpec, ModeKeys  # noqa: F401
from tensorlib.estimator.run_config import RunConfig  # noqa: F401
