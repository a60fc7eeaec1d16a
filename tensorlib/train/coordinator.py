"""tf.train.Coordinator: lets the threads of an input pipeline (and the training loop) stop
together, and passes the first error of any of them on to the thread that joins them."""
import contextlib
import sys
import threading
import time

from tensorlib import errors


class Coordinator:
    """Threads check should_stop() and call request_stop(ex) on failure; the main thread
    calls join(threads), which waits for them and re-raises the first reported exception.
    `clean_stop_exception_types` (default: OutOfRangeError, the end of the input) stop the
    threads without being re-raised."""

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _exc_info(self, ex):
        """`ex` (an exception or an exc_info triple) as an exc_info triple, or None for a
        clean stop."""
        if isinstance(ex, tuple):
            exc_type, value, tb = ex
        else:
            exc_type, value, tb = type(ex), ex, ex.__traceback__
        if isinstance(value, self._clean_stop_exception_types):
            return None
        return exc_type, value, tb

    def request_stop(self, ex=None):
        """Asks every thread to stop; `ex` (an exception or exc_info, optional) is re-raised
        by join() unless it is a clean-stop type or an earlier one was reported."""
        with self._lock:
            exc_info = self._exc_info(ex) if ex is not None else None
            if self._joined and exc_info is not None:
                # join() has already returned: nobody else would see this error.
                raise exc_info[1].with_traceback(exc_info[2])
            if not self._stop_event.is_set():
                if exc_info is not None and self._exc_info_to_raise is None:
                    self._exc_info_to_raise = exc_info
                self._stop_event.set()

    def clear_stop(self):
        """Forgets a stop request and its exception (to start the threads again)."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self):
        """Whether a stop was requested."""
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """A context in which an exception requests a stop (with that exception) instead of
        propagating."""
        try:
            yield
        except:  # noqa: E722 (TF1's semantics: any exception, KeyboardInterrupt too)
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """Waits until a stop is requested or `timeout` seconds pass; True when stopped."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        """Adds `thread` to those join() waits for."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Waits for `threads` (and the registered ones) to end. Once a stop is requested they
        get `stop_grace_period_secs` to end; RuntimeError names those still running after that
        (unless ignore_live_threads). Re-raises the exception passed to request_stop."""
        with self._lock:
            threads = set(threads or ()) | self._registered_threads
        threads = list(threads)
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            exc_info = self._exc_info_to_raise
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError("Coordinator stopped with threads still running: " +
                               " ".join(stragglers))

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        """Re-raises the exception passed to request_stop, if any."""
        with self._lock:
            if self._exc_info_to_raise is not None:
                exc_info = self._exc_info_to_raise
                raise exc_info[1].with_traceback(exc_info[2])
