"""map_fn, scan, foldl and foldr: loops over the first dimension of tensors, built on
tf.while_loop and TensorArrays (so they are differentiable and run as one While node)."""
from tensorlib.framework import ops
from tensorlib.framework.constant_op import constant, convert_to_tensor
from tensorlib.ops import array_ops, control_flow_ops, tensor_array_ops
from tensorlib.util import nest


def _unstacked(elems):
    """(flat tensors, flat TensorArrays over their rows, number of rows as a tensor)."""
    flat = [convert_to_tensor(e, name="elems") for e in nest.flatten(elems)]
    if not flat:
        raise ValueError("elems must be a Tensor or a (possibly nested) sequence of Tensors")
    for e in flat:
        if e.shape.ndims == 0:
            raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    n_static = flat[0].shape.as_list()[0] if flat[0].shape.ndims is not None else None
    n = constant(n_static, name="n") if n_static is not None else array_ops.shape(flat[0])[0]
    tas = [tensor_array_ops.TensorArray(e.dtype, size=n, element_shape=e.shape[1:],
                                        infer_shape=True).unstack(e) for e in flat]
    return flat, tas, n, n_static


def _stacked(tas, n_static):
    out = []
    for ta in tas:
        t = ta.stack()
        if n_static is not None and t.shape.ndims is not None:
            t.set_shape([n_static] + t.shape.as_list()[1:])
        out.append(t)
    return out


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None):
    """fn applied to each row of `elems` (a tensor or nested structure of tensors with equal
    first dims), the results stacked. `dtype` gives the structure and dtypes of fn's result
    when they differ from `elems`'."""
    if not callable(fn):
        raise TypeError("fn must be callable.")
    with ops.name_scope(name, "map"):
        flat, tas, n, n_static = _unstacked(elems)
        out_dtypes = nest.flatten(dtype) if dtype is not None else [e.dtype for e in flat]
        out_structure = dtype if dtype is not None else elems
        outs = [tensor_array_ops.TensorArray(d, size=n, infer_shape=infer_shape)
                for d in out_dtypes]

        def body(i, out_tas):
            x = nest.pack_sequence_as(elems, [ta.read(i) for ta in tas])
            y = nest.flatten(fn(x))
            if len(y) != len(out_tas):
                raise ValueError("The structure of fn's result does not match dtype: "
                                 f"{len(y)} values for {len(out_tas)} dtypes")
            return i + 1, [ta.write(i, v) for ta, v in zip(out_tas, y)]

        _, outs = control_flow_ops.while_loop(
            lambda i, _: i < n, body, (constant(0, name="i"), outs), back_prop=back_prop,
            parallel_iterations=parallel_iterations or 10)
        return nest.pack_sequence_as(out_structure, _stacked(outs, n_static))


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """The running results of a = fn(a, x) over the rows x of `elems`, stacked. Without an
    `initializer` the first row is the first result (and not passed to fn)."""
    if not callable(fn):
        raise TypeError("fn must be callable.")
    with ops.name_scope(name, "scan"):
        flat, tas, n, n_static = _unstacked(elems)
        if initializer is None:
            start_index = (n - 1) if reverse else constant(0)
            a0 = nest.pack_sequence_as(elems, [ta.read(start_index) for ta in tas])
            first = 1
        else:
            a0, first = initializer, 0
        flat_a = [convert_to_tensor(a) for a in nest.flatten(a0)]
        outs = [tensor_array_ops.TensorArray(a.dtype, size=n, infer_shape=infer_shape,
                                             element_shape=a.shape if a.shape.is_fully_defined()
                                             else None)
                for a in flat_a]
        if first:
            index = (n - 1) if reverse else constant(0)
            outs = [ta.write(index, a) for ta, a in zip(outs, flat_a)]

        def body(i, a, out_tas):
            k = (n - 1 - i) if reverse else i
            x = nest.pack_sequence_as(elems, [ta.read(k) for ta in tas])
            a = nest.flatten(fn(nest.pack_sequence_as(a0, a), x))
            return i + 1, a, [ta.write(k, v) for ta, v in zip(out_tas, a)]

        _, _, outs = control_flow_ops.while_loop(
            lambda i, *_: i < n, body, (constant(first, name="i"), flat_a, outs),
            back_prop=back_prop, parallel_iterations=parallel_iterations)
        init_structure = a0 if initializer is None else initializer
        return nest.pack_sequence_as(init_structure, _stacked(outs, n_static))


def _fold(fn, elems, initializer, back_prop, parallel_iterations, reverse, name):
    if not callable(fn):
        raise TypeError("fn must be callable.")
    with ops.name_scope(name, "foldr" if reverse else "foldl"):
        flat, tas, n, _ = _unstacked(elems)
        if initializer is None:
            a0 = nest.pack_sequence_as(elems, [ta.read(n - 1 if reverse else 0) for ta in tas])
            first = 1
        else:
            a0, first = initializer, 0
        flat_a = [convert_to_tensor(a) for a in nest.flatten(a0)]

        def body(i, a):
            k = (n - 1 - i) if reverse else i
            x = nest.pack_sequence_as(elems, [ta.read(k) for ta in tas])
            return i + 1, nest.flatten(fn(nest.pack_sequence_as(a0, a), x))

        _, a = control_flow_ops.while_loop(lambda i, _: i < n, body,
                                           (constant(first, name="i"), flat_a),
                                           back_prop=back_prop,
                                           parallel_iterations=parallel_iterations)
        return nest.pack_sequence_as(a0, a)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """a = fn(a, x) over the rows x of `elems` from first to last; returns the last a."""
    return _fold(fn, elems, initializer, back_prop, parallel_iterations, False, name)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """a = fn(a, x) over the rows x of `elems` from last to first; returns the last a."""
    return _fold(fn, elems, initializer, back_prop, parallel_iterations, True, name)
