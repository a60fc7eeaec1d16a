"""tf.estimator.Estimator: train, evaluate and predict with a model_fn, every call in a fresh
graph whose variables come from the latest checkpoint in model_dir.

    def model_fn(features, labels, mode, params):
        ...
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                          eval_metric_ops={"accuracy": tf.metrics.accuracy(...)})

    est = tf.estimator.Estimator(model_fn, model_dir="/tmp/model", params={"lr": 0.1})
    est.train(input_fn, steps=1000)
    print(est.evaluate(eval_input_fn))          # {"accuracy": ..., "loss": ..., "global_step": ...}
    for p in est.predict(predict_input_fn): ...

Progress goes to the Python logger "tensorlib" at INFO level, worded as TF1 words it. In a
Jupyter kernel with tqdm installed, train() also shows a progress bar of the global step
(see set_progress_bar).
"""
import functools
import inspect
import logging
import os
import sys
import tempfile
import time

import numpy as np

from tensorlib import dtypes
from tensorlib.estimator import model_fn as model_fn_lib
from tensorlib.estimator.run_config import RunConfig
from tensorlib.framework import ops
from tensorlib.metrics import metrics_impl
from tensorlib.ops import variables
from tensorlib.summary import summary_ops
from tensorlib.summary.writer_cache import FileWriterCache
from tensorlib.train import basic_session_run_hooks as hooks_lib
from tensorlib.train import checkpoint_utils, monitored_session, training_util
from tensorlib.train import saver as saver_lib
from tensorlib.train.session_run_hook import SessionRunArgs, SessionRunHook

logger = logging.getLogger("tensorlib")

_progress_bar = None  # None: automatic; see set_progress_bar


def set_progress_bar(enabled=None):
    """Whether Estimator.train shows a tqdm progress bar of the global step: True, False, or
    None (the default) for only when running in a Jupyter kernel with tqdm importable. tqdm
    is never required: without it there is no bar."""
    global _progress_bar
    _progress_bar = enabled


def _in_jupyter_kernel():
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


class _ProgressBarHook(SessionRunHook):
    """Moves a tqdm bar along with the global step (towards `last_step` when known)."""

    def __init__(self, tqdm, last_step):
        self._tqdm, self._last_step = tqdm, last_step

    def begin(self):
        self._global_step_tensor = training_util.get_global_step()

    def after_create_session(self, session, coord):
        self._step = int(session.run(self._global_step_tensor))
        total = None if self._last_step is None else self._last_step - self._step
        self._bar = self._tqdm(total=total, unit="step", desc="train")

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        step = int(run_values.results) + 1
        self._bar.update(step - self._step)
        self._step = step

    def end(self, session):
        self._bar.close()


def _progress_bar_hook(last_step):
    """A progress-bar hook when one is wanted and tqdm is importable, else None."""
    enabled = _in_jupyter_kernel() if _progress_bar is None else _progress_bar
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return _ProgressBarHook(tqdm, last_step)


def _fn_args(fn):
    """The names of the arguments `fn` takes (less those a functools.partial binds)."""
    names = list(inspect.signature(fn).parameters)
    if isinstance(fn, functools.partial):
        names = [n for n in names if n not in (fn.keywords or {})]
    return names


class _StopAfterNEvalsHook(SessionRunHook):
    """Stops evaluation after `num_evals` runs of the update op, logging
    "Evaluation [k/num_evals]" about ten times on the way. `evals_done` is the count of
    runs, read after the run's updates."""

    def __init__(self, num_evals, evals_done):
        self._num_evals, self._evals_done = num_evals, evals_done
        self._log_every = max(num_evals // 10, 1)

    def before_run(self, run_context):
        return SessionRunArgs(self._evals_done)

    def after_run(self, run_context, run_values):
        done = int(run_values.results)
        if done >= self._num_evals:
            run_context.request_stop()
        if done % self._log_every == 0 or done == self._num_evals:
            logger.info("Evaluation [%d/%d]", done, self._num_evals)


def _dict_to_str(dictionary):
    return ", ".join(f"{k} = {v!s}" for k, v in sorted(dictionary.items())
                     if not isinstance(v, bytes))


def _extract_batch_length(predictions):
    lengths = {key: value.shape[0] for key, value in predictions.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Batch length of predictions should be same. Lengths: {lengths}")
    return next(iter(lengths.values()))


class Estimator:
    """TF1's tf.estimator.Estimator. `model_fn(features, labels, mode, params, config)` (any
    subset of these arguments, `features` required) returns an EstimatorSpec; `model_dir`
    (or config.model_dir; a new temporary directory when neither) holds its checkpoints and
    summaries; `params` is passed to model_fn; `warm_start_from` (a checkpoint prefix or a
    directory) gives the trainable variables their first values when model_dir holds no
    checkpoint yet."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None,
                 warm_start_from=None):
        config = RunConfig() if config is None else config
        if not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of `RunConfig`, but provided "
                             f"{config}.")
        if model_dir is not None and config.model_dir is not None and \
                os.fspath(model_dir) != config.model_dir:
            raise ValueError(f"`model_dir` are set both in constructor and `RunConfig`, but "
                             f"with different values. In constructor: '{model_dir}', in "
                             f"`RunConfig`: '{config.model_dir}' ")
        model_dir = model_dir if model_dir is not None else config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            logger.warning("Using temporary folder as model directory: %s", model_dir)
        self._config = config.replace(model_dir=os.fspath(model_dir))
        logger.info("Using config: %s", self._config)
        args = _fn_args(model_fn)
        if "features" not in args:
            raise ValueError(f"model_fn ({model_fn}) must include features argument.")
        if params is not None and "params" not in args:
            raise ValueError(f"model_fn ({model_fn}) does not include params argument, but "
                             f"params ({params}) is passed to Estimator.")
        if params is None and "params" in args:
            logger.warning("Estimator's model_fn (%s) includes params argument, but params "
                           "are not passed to Estimator.", model_fn)
        self._model_fn = model_fn
        self._params = dict(params or {})
        self._warm_start_from = warm_start_from

    model_dir = property(lambda self: self._config.model_dir)
    config = property(lambda self: self._config)
    model_fn = property(lambda self: self._model_fn)

    @property
    def params(self):
        return dict(self._params)

    # -- checkpoints ---------------------------------------------------------------------------

    def latest_checkpoint(self):
        """The prefix of the latest checkpoint in model_dir, or None."""
        return saver_lib.latest_checkpoint(self.model_dir)

    def _require_checkpoint(self):
        path = self.latest_checkpoint()
        if path is None:
            raise ValueError(f"Could not find trained model in model_dir: {self.model_dir}.")
        return path

    def get_variable_names(self):
        """The names of the variables in the latest checkpoint."""
        return [name for name, _ in checkpoint_utils.list_variables(self._require_checkpoint())]

    def get_variable_value(self, name):
        """The value of variable `name` in the latest checkpoint, as a NumPy array."""
        return checkpoint_utils.load_variable(self._require_checkpoint(), name)

    # -- building ------------------------------------------------------------------------------

    def _call_input_fn(self, input_fn, mode):
        """(features, labels) from input_fn (which may take mode, params and config), reading
        a Dataset-like result through a one-shot iterator."""
        args = _fn_args(input_fn)
        kwargs = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self.params
        if "config" in args:
            kwargs["config"] = self.config
        result = input_fn(**kwargs)
        if hasattr(result, "make_one_shot_iterator"):
            result = result.make_one_shot_iterator().get_next()
        if isinstance(result, (list, tuple)):
            if len(result) != 2:
                raise ValueError(f"input_fn should return (features, labels) or features; got "
                                 f"a {type(result).__name__} of {len(result)} items")
            return result[0], result[1]
        return result, None

    def _call_model_fn(self, features, labels, mode):
        args = _fn_args(self._model_fn)
        kwargs = {}
        if "labels" in args:
            kwargs["labels"] = labels
        elif labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self.params
        if "config" in args:
            kwargs["config"] = self.config
        logger.info("Calling model_fn.")
        spec = self._model_fn(features=features, **kwargs)
        logger.info("Done calling model_fn.")
        if not isinstance(spec, model_fn_lib.EstimatorSpec):
            raise ValueError("model_fn should return an EstimatorSpec.")
        return spec

    def _new_graph(self):
        graph = ops.Graph()
        graph.seed = self._config.tf_random_seed
        return graph

    # -- train ---------------------------------------------------------------------------------

    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains until input_fn's data runs out, `steps` more steps, or the global step
        reaches `max_steps` (not both); returns self. Starts from the latest checkpoint in
        model_dir, saves checkpoints as the RunConfig says and one at the end, and logs the
        loss every log_step_count_steps steps."""
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        start_step = self._checkpoint_step()
        if max_steps is not None and max_steps <= start_step:
            logger.info("Skipping training since max_steps has already saved.")
            return self
        hooks = list(hooks or [])
        for hook in hooks:
            if not isinstance(hook, SessionRunHook):
                raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook}")
        if steps is not None or max_steps is not None:
            hooks.append(hooks_lib.StopAtStepHook(steps, max_steps))
        last_step = max_steps if max_steps is not None else \
            (start_step + steps if steps is not None else None)
        progress = _progress_bar_hook(last_step)
        if progress is not None:
            hooks.append(progress)
        loss = self._train_model(input_fn, hooks, list(saving_listeners or []))
        logger.info("Loss for final step: %s.", loss)
        return self

    def _checkpoint_step(self):
        path = self.latest_checkpoint()
        if path is None:
            return 0
        return int(checkpoint_utils.load_variable(path, ops.GraphKeys.GLOBAL_STEP))

    def _train_model(self, input_fn, hooks, saving_listeners):
        config = self._config
        with self._new_graph().as_default():
            global_step = training_util.get_or_create_global_step()
            features, labels = self._call_input_fn(input_fn, model_fn_lib.ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, model_fn_lib.ModeKeys.TRAIN)
            if not any(s.op.name == "loss" for s in ops.get_collection(ops.GraphKeys.SUMMARIES)):
                summary_ops.scalar("loss", spec.loss)
            worker_hooks = hooks + [hooks_lib.NanTensorHook(spec.loss)]
            if config.log_step_count_steps:
                worker_hooks.append(hooks_lib.LoggingTensorHook(
                    {"loss": spec.loss, "step": global_step},
                    every_n_iter=config.log_step_count_steps))
            worker_hooks.extend(spec.training_hooks)
            scaffold = self._warm_started(spec.scaffold)
            if spec.scaffold.saver is None and not ops.get_collection(ops.GraphKeys.SAVERS):
                ops.add_to_collection(ops.GraphKeys.SAVERS, saver_lib.Saver(
                    max_to_keep=config.keep_checkpoint_max,
                    keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours,
                    save_relative_paths=True))
            chief_hooks = list(spec.training_chief_hooks)
            if (config.save_checkpoints_secs or config.save_checkpoints_steps) and not any(
                    isinstance(h, hooks_lib.CheckpointSaverHook)
                    for h in worker_hooks + chief_hooks):
                logger.info("Create CheckpointSaverHook.")
                chief_hooks.append(hooks_lib.CheckpointSaverHook(
                    self.model_dir, save_secs=config.save_checkpoints_secs,
                    save_steps=config.save_checkpoints_steps, scaffold=scaffold,
                    listeners=saving_listeners))
            loss = None
            with monitored_session.MonitoredTrainingSession(
                    checkpoint_dir=self.model_dir, scaffold=scaffold, hooks=worker_hooks,
                    chief_only_hooks=chief_hooks, save_checkpoint_secs=0,
                    save_summaries_steps=config.save_summary_steps,
                    config=self._config.session_config,
                    log_step_count_steps=config.log_step_count_steps) as session:
                while not session.should_stop():
                    _, loss = session.run([spec.train_op, spec.loss])
            if loss is None:
                logger.warning("Training with estimator made no steps. Perhaps input is empty "
                               "or misspecified.")
            return loss

    def _warm_started(self, scaffold):
        """`scaffold` with an init_fn that loads the trainable variables found in the
        warm_start_from checkpoint (run only when model_dir has no checkpoint)."""
        if self._warm_start_from is None:
            return scaffold
        source = os.fspath(self._warm_start_from)
        stored = dict(checkpoint_utils.list_variables(source))
        wanted = [v for v in variables.trainable_variables() if v.op.name in stored]
        logger.info("Warm-starting from: %s", source)
        if not wanted:
            return scaffold
        saver = saver_lib.Saver(var_list=wanted)
        path = saver_lib.latest_checkpoint(source) if os.path.isdir(source) else source
        user_init_fn = scaffold.init_fn

        def init_fn(_, session):
            saver.restore(session, path)
            if user_init_fn is not None:
                user_init_fn(session)

        return monitored_session.Scaffold(init_fn=init_fn, copy_from_scaffold=scaffold)

    # -- evaluate ------------------------------------------------------------------------------

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Runs the model's eval_metric_ops over input_fn's data (until it runs out, or for
        `steps` batches) with the latest checkpoint (or `checkpoint_path`); returns
        {metric name: value} with 'loss' (the mean loss over batches) and 'global_step', and
        writes them as summaries to model_dir/eval (eval_<name> when named)."""
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        checkpoint_path = checkpoint_path or self.latest_checkpoint()
        if checkpoint_path is None:
            logger.info("Could not find trained model in model_dir: %s, running "
                        "initialization to evaluate.", self.model_dir)
        with self._new_graph().as_default():
            global_step = training_util.get_or_create_global_step()
            features, labels = self._call_input_fn(input_fn, model_fn_lib.ModeKeys.EVAL)
            spec = self._call_model_fn(features, labels, model_fn_lib.ModeKeys.EVAL)
            if model_fn_lib.LOSS_METRIC_KEY in spec.eval_metric_ops:
                raise ValueError("Metric with name \"loss\" is not allowed, because Estimator "
                                 "already defines a default metric with the same name.")
            metric_ops = dict(spec.eval_metric_ops)
            metric_ops[model_fn_lib.LOSS_METRIC_KEY] = metrics_impl.mean(spec.loss)
            eval_step = metrics_impl.metric_variable([], dtypes.int64, name="eval_step")
            with ops.control_dependencies([u for _, u in metric_ops.values()]):
                update_op = eval_step.assign_add(1)
            eval_dict = {k: v for k, (v, _) in metric_ops.items()}
            eval_dict[ops.GraphKeys.GLOBAL_STEP] = global_step
            final = hooks_lib.FinalOpsHook(eval_dict)
            all_hooks = list(hooks or []) + list(spec.evaluation_hooks) + [final]
            if steps is not None:
                all_hooks.append(_StopAfterNEvalsHook(steps, update_op))
            logger.info("Starting evaluation at %s", time.strftime("%Y-%m-%dT%H:%M:%S"))
            creator = monitored_session.ChiefSessionCreator(
                scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                config=self._config.session_config)
            with monitored_session.MonitoredSession(creator, hooks=all_hooks) as session:
                while not session.should_stop():
                    session.run(update_op)
            logger.info("Finished evaluation at %s", time.strftime("%Y-%m-%dT%H:%M:%S"))
        results = final.final_ops_values
        logger.info("Saving dict for global step %d: %s", results[ops.GraphKeys.GLOBAL_STEP],
                    _dict_to_str(results))
        output_dir = os.path.join(self.model_dir, "eval" if not name else "eval_" + name)
        self._write_summaries(output_dir, results)
        return results

    @staticmethod
    def _write_summaries(output_dir, results):
        """Each scalar result as a summary at the evaluated global step."""
        writer = FileWriterCache.get(output_dir)
        step = int(results[ops.GraphKeys.GLOBAL_STEP])
        for key, value in sorted(results.items()):
            if key == ops.GraphKeys.GLOBAL_STEP:
                continue
            value = np.asarray(value)
            if value.shape == () and (np.issubdtype(value.dtype, np.floating) or
                                      np.issubdtype(value.dtype, np.integer)):
                writer.add_summary(hooks_lib.scalar_summary(key, value), step)
            else:
                logger.warning("Skipping summary for %s, must be a float or np.float32.", key)
        writer.flush()

    # -- predict -------------------------------------------------------------------------------

    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None,
                yield_single_examples=True):
        """Yields the model's predictions for input_fn's features (labels are ignored), one
        example at a time (a dict when predictions is a dict, restricted to `predict_keys`),
        or one batch at a time when not yield_single_examples; with the latest checkpoint
        (or `checkpoint_path`)."""
        checkpoint_path = checkpoint_path or self.latest_checkpoint()
        if checkpoint_path is None:
            logger.info("Could not find trained model in model_dir: %s, running "
                        "initialization to predict.", self.model_dir)
        with self._new_graph().as_default():
            training_util.get_or_create_global_step()
            features, _ = self._call_input_fn(input_fn, model_fn_lib.ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, model_fn_lib.ModeKeys.PREDICT)
            predictions = self._extract_keys(spec.predictions, predict_keys)
            creator = monitored_session.ChiefSessionCreator(
                scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                config=self._config.session_config)
            all_hooks = list(hooks or []) + list(spec.prediction_hooks)
            with monitored_session.MonitoredSession(creator, hooks=all_hooks) as session:
                while not session.should_stop():
                    values = session.run(predictions)
                    if not yield_single_examples:
                        yield values
                    elif not isinstance(values, dict):
                        yield from values
                    else:
                        for i in range(_extract_batch_length(values)):
                            yield {key: value[i] for key, value in values.items()}

    @staticmethod
    def _extract_keys(predictions, predict_keys):
        if predict_keys is None:
            return predictions
        if not isinstance(predictions, dict):
            raise ValueError("predict_keys argument is not valid in case of non-dict "
                             "predictions.")
        if isinstance(predict_keys, str):
            predict_keys = [predict_keys]
        chosen = {k: v for k, v in predictions.items() if k in predict_keys}
        if not chosen:
            raise ValueError(f"Expected to run at least one output from {list(predictions)}, "
                             f"provided {predict_keys}.")
        return chosen
