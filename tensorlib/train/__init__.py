"""tf.train: optimizers, the global step, learning-rate schedules and the Saver."""
from tensorlib.train.adagrad import AdagradOptimizer  # noqa: F401
from tensorlib.train.adam import AdamOptimizer  # noqa: F401
from tensorlib.train.gradient_descent import GradientDescentOptimizer  # noqa: F401
from tensorlib.train.learning_rate_decay import (  # noqa: F401
    cosine_decay, exponential_decay, inverse_time_decay, natural_exp_decay, piecewise_constant,
    polynomial_decay,
)
from tensorlib.train.learning_rate_decay import (  # noqa: F401
    cosine_decay_restarts, linear_cosine_decay,
)
from tensorlib.train.momentum import MomentumOptimizer  # noqa: F401
from tensorlib.train.optimizer import Optimizer  # noqa: F401
from tensorlib.train.rmsprop import RMSPropOptimizer  # noqa: F401
from tensorlib.train.training_util import (  # noqa: F401
    assert_global_step, create_global_step, get_global_step, get_or_create_global_step,
    global_step,
)
from tensorlib.train.saver import Saver, latest_checkpoint  # noqa: F401
from tensorlib.train.session_run_hook import (  # noqa: F401
    SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues,
)
from tensorlib.train.basic_session_run_hooks import (  # noqa: F401
    CheckpointSaverHook, CheckpointSaverListener, FeedFnHook, FinalOpsHook, LoggingTensorHook,
    NanLossDuringTrainingError, NanTensorHook, SecondOrStepTimer, StepCounterHook,
    StopAtStepHook, SummarySaverHook,
)
from tensorlib.train.monitored_session import (  # noqa: F401
    ChiefSessionCreator, MonitoredSession, MonitoredTrainingSession, Scaffold,
    SingularMonitoredSession,
)

# checkpoints: TensorFlow's and tensorlib's, read without a Saver
from tensorlib.train.checkpoint_management import (  # noqa: F401
    CheckpointState, checkpoint_exists, get_checkpoint_state, update_checkpoint_state,
)
from tensorlib.train.checkpoint_utils import (  # noqa: F401
    CheckpointReader, NewCheckpointReader, init_from_checkpoint, list_variables,
    load_checkpoint, load_variable,
)
# meta graphs
from tensorlib.framework.meta_graph import export_meta_graph, import_meta_graph  # noqa: F401
# sparse updates and TF1's other optimizers
from tensorlib.train.adadelta import AdadeltaOptimizer  # noqa: F401
from tensorlib.train.adagrad_da import AdagradDAOptimizer  # noqa: F401
from tensorlib.train.ftrl import FtrlOptimizer  # noqa: F401
from tensorlib.train.proximal_adagrad import ProximalAdagradOptimizer  # noqa: F401
from tensorlib.train.proximal_gradient_descent import (  # noqa: F401
    ProximalGradientDescentOptimizer,
)

# Input pipelines: queue runners, the coordinator, producers and batching, Example protos.
from tensorlib.train.coordinator import Coordinator  # noqa: F401,E402
from tensorlib.train.example_pb import (  # noqa: F401,E402
    BytesList, Example, Feature, FeatureList, FeatureLists, Features, FloatList, Int64List,
    SequenceExample,
)
from tensorlib.train.input import (  # noqa: F401,E402
    batch, batch_join, input_producer, limit_epochs, range_input_producer, shuffle_batch,
    shuffle_batch_join, slice_input_producer, string_input_producer,
)
from tensorlib.train.queue_runner import (  # noqa: F401,E402
    QueueRunner, add_queue_runner, start_queue_runners,
)
