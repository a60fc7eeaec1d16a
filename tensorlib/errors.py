"""Exceptions, with TensorFlow 1.x's names (`tf.errors.InvalidArgumentError`, ...).

Graph-construction errors are the built-in ValueError and TypeError, as in TF1; errors while a
session runs are OpError subclasses carrying the failing `op` and `node_def`-free messages that
name the node and the user's source line.
"""

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
DATA_LOSS = 15
_TYPE_ERROR = 100  # tensorlib's own code: a dtype mismatch


class OpError(Exception):
    """A failure while running an op; `op` is the Operation when known."""

    def __init__(self, node_def, op, message, error_code):
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message
        self.error_code = error_code

    def __str__(self):
        return self.message


def _make(name, code, doc):
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code)

    return type(name, (OpError,), {"__init__": __init__, "__doc__": doc})


CancelledError = _make("CancelledError", CANCELLED, "The operation was cancelled.")
UnknownError = _make("UnknownError", UNKNOWN, "An unknown error.")
InvalidArgumentError = _make("InvalidArgumentError", INVALID_ARGUMENT,
                             "An op received an invalid argument (a bad feed, a bad shape).")
DeadlineExceededError = _make("DeadlineExceededError", DEADLINE_EXCEEDED,
                              "The run took longer than RunOptions' timeout_in_ms.")
NotFoundError = _make("NotFoundError", NOT_FOUND, "Something requested was not found.")
AlreadyExistsError = _make("AlreadyExistsError", ALREADY_EXISTS, "It already exists.")
ResourceExhaustedError = _make("ResourceExhaustedError", RESOURCE_EXHAUSTED,
                               "Out of memory or another resource.")
FailedPreconditionError = _make("FailedPreconditionError", FAILED_PRECONDITION,
                                "The system is not in a state to run the op "
                                "(e.g. an uninitialized variable).")
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE, "A value is out of range.")
UnimplementedError = _make("UnimplementedError", UNIMPLEMENTED, "Not implemented.")
InternalError = _make("InternalError", INTERNAL, "An internal error: a bug in tensorlib.")
DataLossError = _make("DataLossError", DATA_LOSS, "Unrecoverable data loss or corruption "
                      "(a truncated or damaged file).")

_BY_CODE = {
    CANCELLED: CancelledError, UNKNOWN: UnknownError, INVALID_ARGUMENT: InvalidArgumentError,
    DEADLINE_EXCEEDED: DeadlineExceededError,
    NOT_FOUND: NotFoundError, ALREADY_EXISTS: AlreadyExistsError,
    RESOURCE_EXHAUSTED: ResourceExhaustedError, FAILED_PRECONDITION: FailedPreconditionError,
    OUT_OF_RANGE: OutOfRangeError, UNIMPLEMENTED: UnimplementedError, INTERNAL: InternalError,
    DATA_LOSS: DataLossError,
}


def exception_from_status(code, message, node, building):
    """The exception for a C++ status: the one mapping from codes to Python exceptions.

    While building a graph, shape and argument problems are ValueError and dtype problems
    TypeError (as in TF1); at run time every code maps to its OpError subclass. `node` (the C++
    node id, or -1) is kept on the exception as `_node_id` so the caller can name the op.
    """
    if code == _TYPE_ERROR:
        exc = TypeError(message)
    elif building and code in (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS):
        exc = ValueError(message)
    else:
        exc = _BY_CODE.get(code, UnknownError)(None, None, message)
    exc._node_id = node
    return exc
