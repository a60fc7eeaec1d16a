"""MonitoredSession: a Session that initializes or restores the model, and runs hooks around
every run (TF1's tf.train.MonitoredSession, MonitoredTrainingSession and Scaffold).

    with tf.train.MonitoredTrainingSession(checkpoint_dir="/tmp/run",
                                           hooks=[tf.train.StopAtStepHook(last_step=1000)]) as s:
        while not s.should_stop():
            s.run(train_op)

On creation the Scaffold's ops are made and the graph finalized; the variables are restored
from the latest checkpoint in checkpoint_dir, or initialized when there is none; then the
local variables are initialized. tf.errors.OutOfRangeError (an input that ran out) raised
inside the `with` block ends it cleanly: the hooks' end() still runs (a final checkpoint, the
last summaries).
"""
import inspect
import logging

from tensorlib import errors
from tensorlib.client.session import RunOptions, Session
from tensorlib.framework import ops
from tensorlib.ops import array_ops, variables
from tensorlib.summary import summary_ops
from tensorlib.train import basic_session_run_hooks as hooks_lib
from tensorlib.train import saver as saver_lib
from tensorlib.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues

logger = logging.getLogger("tensorlib")

USE_DEFAULT = object()  # "argument not given" where None has a meaning of its own

# A graph collection of hooks every MonitoredSession of the graph runs before its own: input
# functions that feed their batches (tf.estimator.inputs.numpy_input_fn) put their feeders
# here, as TF1's queue-based inputs put queue runners in QUEUE_RUNNERS for it to start.
INPUT_HOOKS = "input_hooks"


def _from_collection(key, default_fn):
    """The one op of collection `key`, else default_fn()'s op, recorded there."""
    found = ops.get_collection(key)
    if len(found) > 1:
        raise RuntimeError(f"More than one item in the collection \"{key}\". Please indicate "
                           "which one to use by passing it to the tf.Scaffold constructor as:"
                           f" tf.Scaffold({key}=item to use)")
    if found:
        return found[0]
    op = default_fn()
    if op is not None:
        ops.add_to_collection(key, op)
    return op


class _Readiness:
    """A readiness check: a bool tensor, True for each of `names` that is initialized (TF1's
    report_uninitialized_variables lists the names in a string tensor instead)."""

    def __init__(self, var_list):
        self.names = [v.op.name for v in var_list]
        self.tensor = array_ops.stack(
            [variables.is_variable_initialized(v) for v in var_list]) if var_list else None

    def uninitialized(self, session):
        """The names of the variables not yet initialized in `session`."""
        if self.tensor is None:
            return []
        flags = session.run(self.tensor)
        return [name for name, ok in zip(self.names, flags) if not ok]


class Scaffold:
    """The ops that make a model ready, found or made when finalize() runs: init_op (the
    INIT_OP collection, else every global variable's initializer), ready_op and
    ready_for_local_init_op (tensorlib readiness checks over all / the global variables),
    local_init_op (the LOCAL_INIT_OP collection, else the local variables' initializer),
    summary_op (the SUMMARY_OP collection, else merge_all() of the summaries) and saver (the
    SAVERS collection, else a new Saver of the global variables). `init_fn(scaffold, session)`
    runs after init_op when no checkpoint was restored."""

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None,
                 ready_for_local_init_op=None, local_init_op=None, summary_op=None,
                 saver=None, copy_from_scaffold=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            c = copy_from_scaffold
            init_op = init_op or c.init_op
            init_feed_dict = init_feed_dict or c.init_feed_dict
            init_fn = init_fn or c._user_init_fn
            ready_op = ready_op or c._ready_op
            ready_for_local_init_op = ready_for_local_init_op or c._ready_for_local_init_op
            local_init_op = local_init_op or c.local_init_op
            summary_op = summary_op or c.summary_op
            saver = saver or c.saver
        self._init_op, self._init_feed_dict = init_op, init_feed_dict
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._ready_op, self._ready_for_local_init_op = ready_op, ready_for_local_init_op
        self._local_init_op, self._summary_op, self._saver = local_init_op, summary_op, saver

    def finalize(self):
        """Makes the missing ops, then finalizes the graph; returns self."""
        if self._init_op is None:
            self._init_op = _from_collection(ops.GraphKeys.INIT_OP,
                                             variables.global_variables_initializer)
        if self._ready_op is None:
            self._ready_op = _Readiness(variables.global_variables() +
                                        variables.local_variables())
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = _Readiness(variables.global_variables())
        if self._local_init_op is None:
            self._local_init_op = _from_collection(ops.GraphKeys.LOCAL_INIT_OP,
                                                   Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = _from_collection(ops.GraphKeys.SUMMARY_OP, summary_ops.merge_all)
        if self._saver is None:
            self._saver = _from_collection(
                ops.GraphKeys.SAVERS, lambda: saver_lib.Saver(allow_empty=True))
        ops.get_default_graph().finalize()
        logger.info("Graph was finalized.")
        return self

    @staticmethod
    def default_local_init_op():
        """The initializer of every local variable."""
        return variables.local_variables_initializer()

    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    init_fn = property(lambda self: self._init_fn)
    local_init_op = property(lambda self: self._local_init_op)
    summary_op = property(lambda self: self._summary_op)
    saver = property(lambda self: self._saver)

    @property
    def ready_op(self):
        """The readiness check of every variable: a tensorlib `_Readiness` unless a tensor
        was given (then ready means it evaluates to an empty array)."""
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op


def _not_ready(session, check):
    """The uninitialized names `check` (a _Readiness, a tensor, or None) reports."""
    if check is None:
        return []
    if isinstance(check, _Readiness):
        return check.uninitialized(session)
    return list(session.run(check).reshape(-1))


class ChiefSessionCreator:
    """Makes a Session whose model is restored from the latest checkpoint in `checkpoint_dir`
    (or `checkpoint_filename_with_path`), or else initialized by the scaffold's init_op and
    init_fn; then runs its local_init_op and checks the model is ready."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        self._scaffold = scaffold or Scaffold()
        self._master, self._config = master, config
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path

    def create_session(self):
        scaffold = self._scaffold.finalize()
        session = Session(self._master, graph=ops.get_default_graph(), config=self._config)
        try:
            if not self._restore(session, scaffold.saver):
                if scaffold.init_op is not None:
                    session.run(scaffold.init_op, feed_dict=scaffold.init_feed_dict)
                if scaffold.init_fn is not None:
                    scaffold.init_fn(session)
            self._local_init(session, scaffold)
            not_ready = _not_ready(session, scaffold.ready_op)
            if not_ready:
                raise RuntimeError(
                    f"Init operations did not make model ready. Init op: {_name(scaffold.init_op)},"
                    f" init fn: {scaffold.init_fn}, local_init_op: "
                    f"{_name(scaffold.local_init_op)}, error: Variables not initialized: "
                    f"{', '.join(map(str, not_ready))}")
        except BaseException:
            session.close()
            raise
        return session

    def _restore(self, session, saver):
        path = self._checkpoint_filename_with_path
        if path is None and self._checkpoint_dir:
            path = saver_lib.latest_checkpoint(self._checkpoint_dir)
        if path is None:
            return False
        logger.info("Restoring parameters from %s", path)
        saver.restore(session, path)
        return True

    @staticmethod
    def _local_init(session, scaffold):
        if scaffold.local_init_op is None:
            return
        not_ready = _not_ready(session, scaffold.ready_for_local_init_op)
        if not_ready:
            raise RuntimeError(
                "Init operations did not make model ready for local_init. Init op: "
                f"{_name(scaffold.init_op)}, init fn: {scaffold.init_fn}, error: Variables not "
                f"initialized: {', '.join(map(str, not_ready))}")
        logger.info("Running local_init_op.")
        session.run(scaffold.local_init_op)
        logger.info("Done running local_init_op.")


def _name(op):
    return getattr(op, "name", op)


class _Coordinator:
    """What hooks get as `coord` in after_create_session: a stop flag shared with the
    MonitoredSession (tensorlib starts no queue-runner threads for it to join)."""

    def __init__(self):
        self._stop = False

    def request_stop(self, ex=None):
        self._stop = True

    def should_stop(self):
        return self._stop

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        pass


def _merged_options(options, hook_options):
    """The caller's RunOptions with the hooks' wishes added (the larger timeout and trace
    level win)."""
    if not hook_options:
        return options
    merged = RunOptions(timeout_in_ms=options.timeout_in_ms if options else 0,
                        trace_level=options.trace_level if options else 0)
    for o in hook_options:
        merged.timeout_in_ms = max(merged.timeout_in_ms, o.timeout_in_ms)
        merged.trace_level = max(merged.trace_level, o.trace_level)
    return merged


class StepContext:
    """What run_step_fn passes to its step_fn: the plain `session` (runs without hooks),
    run_with_hooks (MonitoredSession.run), and request_stop to end the loop."""

    def __init__(self, session, run_with_hooks_fn):
        self._session, self._run_with_hooks_fn = session, run_with_hooks_fn

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        """Ends step_fn at once; the MonitoredSession's should_stop() is then True."""
        raise StopIteration("step_fn has requested the iterations to stop.")


class _MonitoredSession:
    """The session with hooks that MonitoredSession and SingularMonitoredSession share."""

    StepContext = StepContext

    def __init__(self, session_creator, hooks, stop_grace_period_secs):
        self._hooks = ops.get_collection(INPUT_HOOKS) + list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._session_creator = session_creator or ChiefSessionCreator()
        self._tf_sess = self._session_creator.create_session()
        self._coord = _Coordinator()
        self._should_stop = False
        try:
            for hook in self._hooks:
                hook.after_create_session(self._tf_sess, self._coord)
        except BaseException:
            self._close_internal(True)
            raise

    @property
    def graph(self):
        return self._tf_sess.graph if self._tf_sess is not None else None

    def should_stop(self):
        """True once a hook requested a stop, or the session is closed."""
        return self._tf_sess is None or self._should_stop or self._coord.should_stop()

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Session.run with every hook's before_run / after_run around it."""
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        run_context = SessionRunContext(SessionRunArgs(fetches, feed_dict, options),
                                        self._tf_sess)
        actual_fetches = {"caller": fetches}
        feeds = dict(feed_dict or {})
        hook_options = []
        for hook in self._hooks:
            request = hook.before_run(run_context)
            if request is None:
                continue
            if request.fetches is not None:
                actual_fetches[hook] = request.fetches
            for key, value in (request.feed_dict or {}).items():
                if key in feeds:
                    raise RuntimeError("Same tensor is fed by a SessionRunHook and user."
                                       if feed_dict and key in feed_dict else
                                       "Same tensor is fed by two hooks.")
                feeds[key] = value
            if request.options is not None:
                hook_options.append(request.options)
        options = _merged_options(options, hook_options)
        outputs = self._tf_sess.run(actual_fetches, feed_dict=feeds or None, options=options,
                                    run_metadata=run_metadata)
        for hook in self._hooks:
            hook.after_run(run_context, SessionRunValues(
                results=outputs.get(hook), options=options, run_metadata=run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs["caller"]

    def run_step_fn(self, step_fn):
        """Calls step_fn(step_context) (see StepContext) and returns its result, or None when
        it requested a stop."""
        params = list(inspect.signature(step_fn).parameters)
        if params != ["step_context"]:
            raise ValueError("`step_fn` may either have one `step_context` argument, or `self` "
                             "and `step_context` arguments if it's an instance method. Got "
                             f"{params} instead.")
        try:
            return step_fn(StepContext(self._tf_sess, self.run))
        except StopIteration:
            self._should_stop = True
            return None

    def close(self):
        """Runs the hooks' end() and closes the session."""
        self._close_internal(None)

    def _close_internal(self, exception_type):
        if self._tf_sess is None:
            return
        try:
            if not exception_type:
                for hook in self._hooks:
                    hook.end(self._tf_sess)
        finally:
            try:
                self._tf_sess.close()
            finally:
                self._tf_sess = None

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None


class MonitoredSession(_MonitoredSession):
    """A session made by `session_creator` (a ChiefSessionCreator by default) with `hooks`
    run around each run (TF1's tf.train.MonitoredSession); the hooks of the graph's
    INPUT_HOOKS collection run first."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(session_creator, hooks, stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession made from a scaffold and checkpoint_dir directly, whose plain
    Session raw_session() returns."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        creator = ChiefSessionCreator(
            scaffold=scaffold, master=master, config=config, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks, stop_grace_period_secs)

    def raw_session(self):
        """The underlying Session (runs without the hooks)."""
        return self._tf_sess


def _default(value, default):
    return default if value is USE_DEFAULT else value


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None,  # noqa: N802
                             scaffold=None, hooks=None, chief_only_hooks=None,
                             save_checkpoint_secs=USE_DEFAULT, save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100,
                             max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None):
    """A MonitoredSession for training, as TF1 makes it: on the chief, with a checkpoint_dir,
    it restores or initializes the model and adds a StepCounterHook (every
    `log_step_count_steps`), a SummarySaverHook (every `save_summaries_steps`, default 100,
    or `save_summaries_secs`) writing to `summary_dir` (default checkpoint_dir) and a
    CheckpointSaverHook (every `save_checkpoint_secs`, default 600, or
    `save_checkpoint_steps`), before `hooks` and `chief_only_hooks`. tensorlib runs in one
    process: is_chief=False only leaves out the chief's hooks."""
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    else:
        save_summaries_steps = _default(save_summaries_steps, None)
        save_summaries_secs = _default(save_summaries_secs, None)
    if save_checkpoint_secs is USE_DEFAULT and save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_secs, save_checkpoint_steps = 600, None
    else:
        save_checkpoint_secs = _default(save_checkpoint_secs, None)
        save_checkpoint_steps = _default(save_checkpoint_steps, None)
    scaffold = scaffold or Scaffold()
    all_hooks = []
    if is_chief:
        all_hooks.extend(chief_only_hooks or [])
        summary_dir = summary_dir or checkpoint_dir
        if summary_dir:
            if log_step_count_steps and log_step_count_steps > 0:
                all_hooks.append(hooks_lib.StepCounterHook(
                    output_dir=summary_dir, every_n_steps=log_step_count_steps))
            if (save_summaries_steps and save_summaries_steps > 0) or (
                    save_summaries_secs and save_summaries_secs > 0):
                all_hooks.append(hooks_lib.SummarySaverHook(
                    scaffold=scaffold, save_steps=save_summaries_steps,
                    save_secs=save_summaries_secs, output_dir=summary_dir))
        if checkpoint_dir and ((save_checkpoint_secs and save_checkpoint_secs > 0) or (
                save_checkpoint_steps and save_checkpoint_steps > 0)):
            all_hooks.append(hooks_lib.CheckpointSaverHook(
                checkpoint_dir, save_steps=save_checkpoint_steps,
                save_secs=save_checkpoint_secs, scaffold=scaffold))
    all_hooks.extend(hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir,
                                  master=master, config=config)
    return MonitoredSession(session_creator=creator, hooks=all_hooks,
                            stop_grace_period_secs=stop_grace_period_secs)
