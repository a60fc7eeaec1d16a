"""What an Estimator's model_fn returns: EstimatorSpec, and the ModeKeys it is called with."""
import collections

from tensorlib.framework import ops
from tensorlib.ops import array_ops
from tensorlib.ops import variables
from tensorlib.train.monitored_session import Scaffold
from tensorlib.train.session_run_hook import SessionRunHook


class ModeKeys:
    """The mode a model_fn builds its graph for."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


LOSS_METRIC_KEY = "loss"


def _graph_tensor(value, what):
    """`value` (a Tensor or Variable) as a Tensor, which must be in the default graph."""
    if isinstance(value, variables.Variable):
        value = value.value()
    if not isinstance(value, (ops.Tensor, ops.Operation)):
        raise TypeError(f"{what} must be a Tensor or Operation; got {value!r}.")
    if value.graph is not ops.get_default_graph():
        raise ValueError(f"{what} must be from the default graph. Possible causes of this "
                         f"error include: 1) {what} was created outside the context of the "
                         "default graph; 2) The object passed through to EstimatorSpec was "
                         "not created in the most recent call to \"model_fn\".")
    return value


def _check_hooks(hooks, what):
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook} "
                            f"(in {what})")
    return hooks


def _check_loss(loss):
    loss = _graph_tensor(loss, "loss")
    if not isinstance(loss, ops.Tensor):
        raise TypeError(f"loss must be a Tensor; got {loss!r}.")
    shape = loss.shape
    if shape.ndims is not None and shape.num_elements() not in (1, None):
        raise ValueError(f"Loss must be scalar, given: {loss}")
    if shape.ndims not in (0, None):
        loss = array_ops.reshape(loss, [])
    return loss


def _check_predictions(predictions):
    if isinstance(predictions, dict):
        return {k: _graph_tensor(v, f"predictions[{k!r}]") for k, v in predictions.items()}
    if not isinstance(predictions, (ops.Tensor, variables.Variable)):
        raise TypeError(f"predictions must be Tensor or dict of Tensor; got {predictions!r}.")
    return _graph_tensor(predictions, "predictions")


def _check_metric_ops(eval_metric_ops):
    if not isinstance(eval_metric_ops, dict):
        raise TypeError(f"eval_metric_ops must be a dict, given: {eval_metric_ops}")
    checked = {}
    for key, pair in eval_metric_ops.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError("Values of eval_metric_ops must be (metric_value, update_op) "
                            f"tuples, given: {pair} for key: {key}")
        checked[key] = (_graph_tensor(pair[0], f"eval_metric_ops[{key!r}][0]"),
                        _graph_tensor(pair[1], f"eval_metric_ops[{key!r}][1]"))
    return checked


_FIELDS = ["mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs",
           "training_chief_hooks", "training_hooks", "scaffold", "evaluation_hooks",
           "prediction_hooks"]


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _FIELDS)):
    """The ops and objects a model_fn returns for one mode, checked as TF1 checks them:
    TRAIN needs `loss` (a scalar) and `train_op`, EVAL needs `loss`, PREDICT needs
    `predictions` (a Tensor or a dict of Tensors); `eval_metric_ops` maps names to
    (value, update_op) pairs such as tf.metrics return; every tensor must be in the default
    graph and every hook a SessionRunHook."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None,
                scaffold=None, evaluation_hooks=None, prediction_hooks=None):
        if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
            raise ValueError(f"mode={mode} unrecognized.")
        if mode == ModeKeys.TRAIN and train_op is None:
            raise ValueError("Missing train_op.")
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
            raise ValueError("Missing loss.")
        if mode == ModeKeys.PREDICT and predictions is None:
            raise ValueError("Missing predictions.")
        if loss is not None:
            loss = _check_loss(loss)
        if predictions is not None:
            predictions = _check_predictions(predictions)
        else:
            predictions = {}
        if train_op is not None:
            train_op = _graph_tensor(train_op, "train_op")
        eval_metric_ops = _check_metric_ops(eval_metric_ops or {})
        scaffold = scaffold if scaffold is not None else Scaffold()
        if not isinstance(scaffold, Scaffold):
            raise TypeError(f"scaffold must be tf.train.Scaffold. Given: {scaffold}")
        return super().__new__(
            cls, mode=mode, predictions=predictions, loss=loss, train_op=train_op,
            eval_metric_ops=eval_metric_ops, export_outputs=export_outputs,
            training_chief_hooks=_check_hooks(training_chief_hooks, "training_chief_hooks"),
            training_hooks=_check_hooks(training_hooks, "training_hooks"), scaffold=scaffold,
            evaluation_hooks=_check_hooks(evaluation_hooks, "evaluation_hooks"),
            prediction_hooks=_check_hooks(prediction_hooks, "prediction_hooks"))
