"""SessionRunHook: code run around each MonitoredSession.run (TF1's tf.train.SessionRunHook).

A hook's calls, in order: begin() while the graph may still change; after_create_session()
once the session exists; before_run() / after_run() around every run (before_run may ask for
more fetches and feeds, after_run gets their values); end() when the session closes normally.
"""
import collections


class SessionRunHook:
    """Base class for hooks; every method does nothing."""

    def begin(self):
        """Called once before the graph is finalized (the hook may add ops)."""

    def after_create_session(self, session, coord):
        """Called once the session is created (and its variables initialized or restored)."""

    def before_run(self, run_context):
        """Called before each run; may return SessionRunArgs to add fetches and feeds."""
        return None

    def after_run(self, run_context, run_values):
        """Called after each run with the values of the fetches before_run asked for."""

    def end(self, session):
        """Called at the end of the session (not when it ends with an error)."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs",
                                            ["fetches", "feed_dict", "options"])):
    """What a hook adds to a run: fetches (any fetch structure), a feed_dict and RunOptions."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunContext:
    """The run a hook is called around: the caller's `original_args`, the `session`, and a
    way to ask the loop to stop (request_stop)."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self):
        return self._stop_requested

    def request_stop(self):
        """Makes the MonitoredSession's should_stop() True after this run."""
        self._stop_requested = True


SessionRunValues = collections.namedtuple("SessionRunValues",
                                          ["results", "options", "run_metadata"])
SessionRunValues.__doc__ = "The values of a hook's fetches after a run (`results`)."
