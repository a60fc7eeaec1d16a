"""`arg_scope`: default keyword arguments for a set of functions, within a `with` block.

    with arg_scope([layers.conv2d, layers.fully_connected], activation_fn=tf.nn.elu):
        net = layers.conv2d(images, 32, [3, 3])        # activation_fn=tf.nn.elu
        net = layers.conv2d(net, 64, [3, 3], activation_fn=None)   # explicit wins

Only functions decorated with `add_arg_scope` take part. Nested scopes add to (and override)
the enclosing scope's arguments; `with arg_scope(saved_scope):` re-enters a scope that an
earlier `with arg_scope(...) as saved_scope` returned.
"""
import contextlib
import functools
import inspect

# The stack of scopes, each {function key: {argument: value}}; the last one is current.
_ARG_STACK = [{}]
_DECORATED = set()


def _key(function):
    return getattr(function, "_arg_scope_key", function)


def current_arg_scope():
    """The scope in effect: {function key: {argument: value}}."""
    return _ARG_STACK[-1]


def has_arg_scope(function):
    """Whether `function` was decorated with add_arg_scope."""
    return _key(function) in _DECORATED


def arg_scoped_arguments(function):
    """The names of the arguments `function` (decorated with add_arg_scope) accepts."""
    return list(inspect.signature(_key(function)).parameters)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Within the block, each function of `list_ops_or_scope` gets `kwargs` as default
    keyword arguments; yields the scope, which a later `arg_scope(scope)` can re-enter.

    Raises:
      TypeError: if list_ops_or_scope is neither a list/tuple of functions nor a scope.
      ValueError: if a function is not decorated with add_arg_scope, or a scope is given
        together with keyword arguments.
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When re-entering a saved arg_scope, pass no keyword arguments.")
        scope = list_ops_or_scope
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("arg_scope takes a list or tuple of functions, or a saved scope; "
                            f"got {list_ops_or_scope!r}")
        scope = dict(current_arg_scope())
        for function in list_ops_or_scope:
            if not has_arg_scope(function):
                raise ValueError(f"{getattr(function, '__name__', function)} is not decorated "
                                 "with @add_arg_scope")
            key = _key(function)
            scope[key] = {**scope.get(key, {}), **kwargs}
    _ARG_STACK.append(scope)
    try:
        yield scope
    finally:
        _ARG_STACK.pop()


def add_arg_scope(function):
    """Decorates `function` so that arg_scope can give it default keyword arguments."""
    @functools.wraps(function)
    def with_scope_arguments(*args, **kwargs):
        defaults = current_arg_scope().get(function)
        if defaults:
            kwargs = {**defaults, **kwargs}
        return function(*args, **kwargs)

    _DECORATED.add(function)
    with_scope_arguments._arg_scope_key = function
    return with_scope_arguments
