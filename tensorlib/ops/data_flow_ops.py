"""Queues: tf.FIFOQueue, tf.RandomShuffleQueue, tf.PaddingFIFOQueue (TF1's input pipelines).

A queue lives in each session that runs its queue op (one per session and name, made on
first use); enqueue and dequeue ops name it by the queue op's output, a handle. A dequeue from
an empty queue, or an enqueue into a full one, waits in C++ without holding Python's lock,
until it can proceed, the queue is closed (a dequeue then fails tf.errors.OutOfRangeError), the
run is stopped (Ctrl-C, RunOptions' timeout_in_ms) or the session is closed
(tf.errors.CancelledError).
"""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops, random_seed
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.tensor_shape import TensorShape

for _op_type in ("FIFOQueueV2", "PaddingFIFOQueueV2", "RandomShuffleQueueV2", "QueueEnqueueV2",
                 "QueueEnqueueManyV2", "QueueDequeueV2", "QueueDequeueManyV2",
                 "QueueDequeueUpToV2", "QueueCloseV2", "QueueSizeV2", "QueueIsClosedV2"):
    ops.NotDifferentiable(_op_type)


def _shapes_attr(shapes):
    """The `shapes` attribute of the queue ops: per component its rank (-1 unknown) and its
    dims (-1 unknown); empty when no shapes are given."""
    flat = []
    for shape in shapes or ():
        if shape.ndims is None:
            flat.append(-1)
        else:
            flat.append(shape.ndims)
            flat.extend(-1 if d is None else d for d in shape.as_list())
    return flat


class QueueBase:
    """A queue of elements, each a tuple (or, with `names`, a dict) of tensors of fixed dtypes.

    Made by its subclasses; the methods add ops that use the queue."""

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = dtypes
        self._shapes = shapes if shapes is not None else [TensorShape(None)] * len(dtypes)
        self._names = names
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name

    @property
    def queue_ref(self):
        """The queue's handle (a string scalar tensor)."""
        return self._queue_ref

    @property
    def name(self):
        return self._name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return list(self._shapes)

    @property
    def names(self):
        return self._names

    def _attrs(self):
        return {"component_types": [d.as_datatype_enum for d in self._dtypes],
                "shapes": _shapes_attr(self._shapes if self._shapes_given else None)}

    def _components(self, vals, many):
        """`vals` (a tensor, a tuple or a dict) as one tensor per component, checked."""
        if self._names is not None:
            if not isinstance(vals, dict):
                raise ValueError("Queue with names must be enqueued with a dictionary")
            if sorted(vals) != sorted(self._names):
                raise ValueError(f"Keys in dictionary to enqueue {sorted(vals)} do not match "
                                 f"the names of the queue {sorted(self._names)}")
            vals = [vals[n] for n in self._names]
        elif isinstance(vals, dict):
            raise ValueError("Queue must have names to enqueue a dictionary")
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components to enqueue, got "
                             f"{len(vals)}")
        tensors = []
        for i, (v, dtype, shape) in enumerate(zip(vals, self._dtypes, self._shapes)):
            t = convert_to_tensor(v, dtype=dtype, name=f"component_{i}")
            element_shape = t.shape[1:] if many and t.shape.ndims else t.shape
            if many and t.shape.ndims == 0:
                raise ValueError("enqueue_many needs components of rank >= 1")
            if t.shape.ndims is not None and not shape.is_compatible_with(element_shape):
                raise ValueError(f"Shape {element_shape} of component {i} is not compatible "
                                 f"with the queue's shape {shape}")
            tensors.append(t)
        return tensors

    def enqueue(self, vals, name=None):
        """An op that adds one element (waiting while the queue is full)."""
        with ops.name_scope(name, f"{self._name}_enqueue") as scope:
            components = self._components(vals, False)
            return ops.apply_op("QueueEnqueueV2", [self._queue_ref] + components, {},
                                name=scope)

    def enqueue_many(self, vals, name=None):
        """An op that adds the slices of `vals` along their first dimension as elements."""
        with ops.name_scope(name, f"{self._name}_EnqueueMany") as scope:
            components = self._components(vals, True)
            return ops.apply_op("QueueEnqueueManyV2", [self._queue_ref] + components, {},
                                name=scope)

    def _outputs(self, op):
        tensors = list(op.outputs)
        if self._names is not None:
            return dict(zip(self._names, tensors))
        return tensors[0] if len(tensors) == 1 else tensors

    def _dequeue_attrs(self):
        return dict(self._attrs(), num_components=len(self._dtypes))

    def dequeue(self, name=None):
        """One element (waiting while the queue is empty; OutOfRangeError once it is closed
        and empty)."""
        op = ops.apply_op("QueueDequeueV2", [self._queue_ref], self._dequeue_attrs(),
                          name=name or f"{self._name}_Dequeue")
        return self._outputs(op)

    def _dequeue_n(self, op_type, default_name, n, name):
        with ops.name_scope(name, default_name) as scope:
            n = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
            op = ops.apply_op(op_type, [self._queue_ref, n], self._dequeue_attrs(), name=scope)
        return self._outputs(op)

    def dequeue_many(self, n, name=None):
        """n elements stacked along a new first dimension (OutOfRangeError when the queue is
        closed with fewer than n left)."""
        return self._dequeue_n("QueueDequeueManyV2", f"{self._name}_DequeueMany", n, name)

    def dequeue_up_to(self, n, name=None):
        """Like dequeue_many, but a closed queue with 1 to n-1 elements left yields them."""
        return self._dequeue_n("QueueDequeueUpToV2", f"{self._name}_DequeueUpTo", n, name)

    def close(self, cancel_pending_enqueues=False, name=None):
        """An op that closes the queue: later enqueues fail; dequeues take what is left and
        then fail OutOfRangeError. With cancel_pending_enqueues, waiting enqueues fail too."""
        return ops.apply_op("QueueCloseV2", [self._queue_ref],
                            {"cancel_pending_enqueues": bool(cancel_pending_enqueues)},
                            name=name or f"{self._name}_Close")

    def size(self, name=None):
        """The number of elements in the queue (int32 scalar)."""
        return ops.apply_op("QueueSizeV2", [self._queue_ref], {},
                            name=name or f"{self._name}_Size").outputs[0]

    def is_closed(self, name=None):
        """Whether the queue is closed (bool scalar)."""
        return ops.apply_op("QueueIsClosedV2", [self._queue_ref], {},
                            name=name or f"{self._name}_IsClosed").outputs[0]


def _queue_args(dtypes, shapes, names):
    """(dtypes, shapes or None, names or None) normalized and checked."""
    if not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes]
    dtypes = [_dtypes.as_dtype(d) for d in dtypes]
    if shapes is not None:
        if isinstance(shapes, (list, tuple)) and (not shapes or not isinstance(
                shapes[0], (list, tuple, TensorShape)) and shapes[0] is not None):
            shapes = [shapes]  # one component's shape given as a list of dims
        elif not isinstance(shapes, (list, tuple)):
            shapes = [shapes]
        shapes = [TensorShape(s) for s in shapes]
        if len(shapes) != len(dtypes):
            raise ValueError("Queue shapes must have the same length as dtypes")
    if names is not None:
        if not isinstance(names, (list, tuple)):
            names = [names]
        names = list(names)
        if len(names) != len(dtypes):
            raise ValueError("Queue names must have the same length as dtypes")
    return dtypes, shapes, names


def _make_queue(self, op_type, default_name, capacity, dtypes, shapes, names, shared_name,
                name, extra=None):
    dtypes, shapes, names = _queue_args(dtypes, shapes, names)
    self._shapes_given = shapes is not None
    attrs = {"component_types": [d.as_datatype_enum for d in dtypes],
             "shapes": _shapes_attr(shapes), "capacity": int(capacity),
             "shared_name": shared_name or ""}
    attrs.update(extra or {})
    ref = ops.apply_op(op_type, [], attrs, name=name or default_name).outputs[0]
    QueueBase.__init__(self, dtypes, shapes, names, ref)


class FIFOQueue(QueueBase):
    """A queue that yields elements in the order they came in."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        _make_queue(self, "FIFOQueueV2", "fifo_queue", capacity, dtypes, shapes, names,
                    shared_name, name)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose dequeue_many pads each component, per dimension, to the largest in
    the batch (zeros, empty strings). `shapes` is required; None dims vary per element."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):
        if shapes is None:
            raise ValueError("PaddingFIFOQueue needs shapes (None for dims that vary)")
        _make_queue(self, "PaddingFIFOQueueV2", "padding_fifo_queue", capacity, dtypes, shapes,
                    names, shared_name, name)
        for s in self._shapes:
            if s.ndims is None:
                raise ValueError("PaddingFIFOQueue needs shapes of known rank")


class RandomShuffleQueue(QueueBase):
    """A queue that yields its elements in a random order, dequeuing only while more than
    `min_after_dequeue` elements remain (until it is closed), so they stay well mixed."""

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None,
                 shared_name=None, name="random_shuffle_queue"):
        seed1, seed2 = random_seed.get_seed(seed)
        _make_queue(self, "RandomShuffleQueueV2", "random_shuffle_queue", capacity, dtypes,
                    shapes, names, shared_name, name,
                    {"min_after_dequeue": int(min_after_dequeue), "seed": seed1 or 0,
                     "seed2": seed2 or 0})
