"""tf.train.QueueRunner and start_queue_runners: Python threads that keep a queue filled by
running its enqueue ops, and close it when their input runs out."""
import threading

from tensorlib import errors
from tensorlib.framework import ops


class QueueRunner:
    """Runs `enqueue_ops` (one thread each) until they fail: OutOfRangeError (the input is
    exhausted) ends a thread, and the last one to end runs `close_op` (default:
    queue.close()); any other error stops the coordinator with that error. When the
    coordinator stops, `cancel_op` (default: queue.close(cancel_pending_enqueues=True))
    releases enqueues still waiting."""

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None, name=None):
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner needs a queue and enqueue_ops")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = (cancel_op if cancel_op is not None
                           else queue.close(cancel_pending_enqueues=True))
        self._queue_closed_exception_types = tuple(
            queue_closed_exception_types or (errors.OutOfRangeError,))
        self._name = name or queue.name
        self._lock = threading.Lock()
        self._runs_per_session = {}
        self._exceptions_raised = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self):
        return self._queue_closed_exception_types

    @property
    def name(self):
        return self._name

    @property
    def exceptions_raised(self):
        """The exceptions the threads stopped on (when they had no coordinator to tell)."""
        return list(self._exceptions_raised)

    def _run(self, sess, enqueue_op, coord):
        """One thread: runs `enqueue_op` until the coordinator stops or the op fails."""
        try:
            while not (coord and coord.should_stop()):
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        if self._runs_per_session[sess] == 0:
                            try:
                                sess.run(self._close_op)
                            except Exception:  # noqa: BLE001 (the queue may be gone already)
                                pass
                    return
        except Exception as e:  # noqa: BLE001 (every error is reported, not lost)
            if coord:
                coord.request_stop(e)
            else:
                with self._lock:
                    self._exceptions_raised.append(e)
                raise

    def _close_on_stop(self, sess, coord):
        """One thread: waits for the coordinator to stop, then runs `cancel_op`."""
        coord.wait_for_stop()
        try:
            sess.run(self._cancel_op)
        except Exception:  # noqa: BLE001 (the session may be closed already)
            pass

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """The threads that run the enqueue ops in `sess` (plus, with a coordinator, one that
        cancels the queue when it stops); started when `start`. Returns [] when threads of
        this runner are still running in `sess`."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord), daemon=daemon,
                                    name=f"QueueRunnerThread-{self._name}-{op.name}")
                   for op in self._enqueue_ops]
        if coord:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord),
                                            daemon=daemon,
                                            name=f"QueueRunnerThread-{self._name}-close"))
        for t in threads:
            if coord:
                coord.register_thread(t)
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=ops.GraphKeys.QUEUE_RUNNERS):
    """Adds `qr` to the graph's queue runners (those start_queue_runners starts)."""
    ops.add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True,
                        collection=ops.GraphKeys.QUEUE_RUNNERS):
    """Starts the threads of every queue runner of the graph in `sess` (default: the default
    session); returns them."""
    if sess is None:
        from tensorlib.client.session import get_default_session
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot start queue runners: No default session is registered. "
                             "Use `with sess.as_default()` or pass an explicit session to "
                             "tf.start_queue_runners(sess=sess)")
    threads = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
