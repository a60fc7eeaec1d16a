"""TF1's queue-based input pipeline: producers that fill a queue with file names, indices or
slices (string_input_producer, range_input_producer, slice_input_producer, input_producer),
and batching through a queue (batch, shuffle_batch, batch_join, shuffle_batch_join). Each adds
a QueueRunner that tf.train.start_queue_runners starts.
"""
from tensorlib import dtypes as _dtypes
from tensorlib.framework import ops
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.framework.tensor_shape import TensorShape
from tensorlib.ops import array_ops, data_flow_ops, random_ops, variables
from tensorlib.train.queue_runner import QueueRunner, add_queue_runner


def limit_epochs(tensor, num_epochs=None, name=None):
    """`tensor`, which may be read `num_epochs` times (None: forever); reading it more often
    raises OutOfRangeError. Counts in a local variable: run
    tf.local_variables_initializer() first."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with ops.name_scope(name, "limit_epochs") as scope:
        epochs = variables.Variable(
            convert_to_tensor(0, dtype=_dtypes.int64), trainable=False,
            collections=[ops.GraphKeys.LOCAL_VARIABLES], name="epochs")
        counter = epochs.count_up_to(num_epochs)
        with ops.control_dependencies([counter]):
            return array_ops.identity(tensor, name=scope)


def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None,
                   capacity=32, shared_name=None, summary_name=None, name=None, cancel_op=None):
    """A FIFOQueue that a QueueRunner fills with the rows of `input_tensor`, reshuffled for
    every epoch when `shuffle`, `num_epochs` times (None: forever)."""
    with ops.name_scope(name, "input_producer"):
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        shape = input_tensor.shape
        row_shape = TensorShape(shape.as_list()[1:]) if shape.ndims else TensorShape(None)
        if element_shape is not None:
            row_shape = row_shape.merge_with(TensorShape(element_shape))
        if not row_shape.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or "
                             "`element_shape` must be specified")
        if shuffle:
            input_tensor = random_ops.random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        q = data_flow_ops.FIFOQueue(capacity=capacity, dtypes=[input_tensor.dtype],
                                    shapes=[row_shape], shared_name=shared_name, name="fifo_queue")
        enqueue = q.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(q, [enqueue], cancel_op=cancel_op))
        return q


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None, capacity=32,
                          shared_name=None, name=None, cancel_op=None):
    """A queue of the strings of `string_tensor` (file names, typically) for a reader."""
    with ops.name_scope(name, "input_producer"):
        string_tensor = convert_to_tensor(string_tensor, dtype=_dtypes.string)
        if string_tensor.shape.ndims != 1:
            raise ValueError("string_input_producer needs a vector of strings, got shape "
                             f"{string_tensor.shape}")
        if string_tensor.shape.as_list()[0] == 0:
            raise ValueError("string_input_producer requires a non-null input tensor")
        return input_producer(string_tensor, [], num_epochs, shuffle, seed, capacity,
                              shared_name, name=None, cancel_op=cancel_op)


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """A queue of the integers 0 .. limit-1 (int32)."""
    with ops.name_scope(name, "input_producer"):
        indices = array_ops.range(limit)
        return input_producer(indices, [], num_epochs, shuffle, seed, capacity, shared_name)


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """One row of every tensor of `tensor_list` at a time (the same row of each), from a
    range_input_producer over their first dimension."""
    with ops.name_scope(name, "input_producer"):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        size = tensor_list[0].shape.as_list()[0] if tensor_list[0].shape.ndims else None
        if size is None:
            size = array_ops.shape(tensor_list[0])[0]
        queue = range_input_producer(size, num_epochs=num_epochs, shuffle=shuffle, seed=seed,
                                     capacity=capacity, shared_name=shared_name)
        index = queue.dequeue()
        return [array_ops.gather(t, index) for t in tensor_list]


def _flatten(tensors):
    """(list of tensors, names or None) of what batch() was given: a tensor, a list or
    tuple, or a dict."""
    if isinstance(tensors, dict):
        names = sorted(tensors)
        return [convert_to_tensor(tensors[k]) for k in names], names
    if isinstance(tensors, (list, tuple)):
        return [convert_to_tensor(t) for t in tensors], None
    return [convert_to_tensor(tensors)], None


def _element_shapes(tensor_list, shapes, enqueue_many, dynamic_pad):
    """The shape of one element of each tensor (from `shapes` or the tensors' static
    shapes): fully defined, unless `dynamic_pad` lets dims vary."""
    if shapes is not None:
        shapes = [TensorShape(s) for s in shapes]
        if len(shapes) != len(tensor_list):
            raise ValueError("shapes must have one shape per tensor")
        return shapes
    out = []
    for t in tensor_list:
        shape = t.shape
        if enqueue_many:
            shape = TensorShape(shape.as_list()[1:]) if shape.ndims else TensorShape(None)
        if not (shape.is_fully_defined() or (dynamic_pad and shape.ndims is not None)):
            raise ValueError(f"All shapes must be fully defined: {[t.shape for t in tensor_list]}")
        out.append(shape)
    return out


def _batch(tensors_list, batch_size, make_queue, num_threads, enqueue_many, shapes,
           dynamic_pad, allow_smaller_final_batch, name, default_name):
    """What the batching functions share: one queue, one enqueue op per entry of
    tensors_list (times num_threads), a dequeue of batch_size elements."""
    with ops.name_scope(name, default_name):
        flat = [_flatten(t) for t in tensors_list]
        tensor_list, names = flat[0]
        if any(len(f[0]) != len(tensor_list) for f in flat):
            raise ValueError("Expected tensors of the same structure in every entry")
        types = [t.dtype for t in tensor_list]
        queue = make_queue(types, _element_shapes(tensor_list, shapes, enqueue_many,
                                                  dynamic_pad), names)
        enqueue_ops = []
        for tensors, _ in flat:
            vals = dict(zip(names, tensors)) if names else tensors
            op = queue.enqueue_many(vals) if enqueue_many else queue.enqueue(vals)
            enqueue_ops.extend([op] * num_threads)
        add_queue_runner(QueueRunner(queue, enqueue_ops))
        if allow_smaller_final_batch:
            return queue.dequeue_up_to(batch_size, name="batch")
        return queue.dequeue_many(batch_size, name="batch")


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None,
          dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """`tensors` (a tensor, list or dict) batched: a queue, filled by `num_threads` threads,
    yields batch_size elements stacked along a new first dimension. `dynamic_pad` pads the
    elements of a batch to the largest; `allow_smaller_final_batch` yields a short last batch
    when the input ends."""
    def make_queue(types, element_shapes, names):
        cls = data_flow_ops.PaddingFIFOQueue if dynamic_pad else data_flow_ops.FIFOQueue
        return cls(capacity=capacity, dtypes=types, shapes=element_shapes, names=names,
                   shared_name=shared_name, name="fifo_queue")
    return _batch([tensors], batch_size, make_queue, num_threads, enqueue_many, shapes,
                  dynamic_pad, allow_smaller_final_batch, name, "batch")


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None,
               dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None,
               name=None):
    """batch() over several inputs of one structure, one thread each (e.g. one reader per
    file)."""
    def make_queue(types, element_shapes, names):
        cls = data_flow_ops.PaddingFIFOQueue if dynamic_pad else data_flow_ops.FIFOQueue
        return cls(capacity=capacity, dtypes=types, shapes=element_shapes, names=names,
                   shared_name=shared_name, name="fifo_queue")
    return _batch(list(tensors_list), batch_size, make_queue, 1, enqueue_many, shapes,
                  dynamic_pad, allow_smaller_final_batch, name, "batch_join")


def _shuffle_queue(capacity, min_after_dequeue, seed, shared_name):
    if min_after_dequeue >= capacity:
        raise ValueError(f"min_after_dequeue ({min_after_dequeue}) must be less than capacity "
                         f"({capacity})")

    def make_queue(types, element_shapes, names):
        return data_flow_ops.RandomShuffleQueue(
            capacity=capacity, min_after_dequeue=min_after_dequeue, dtypes=types,
            shapes=element_shapes, names=names, seed=seed, shared_name=shared_name,
            name="random_shuffle_queue")
    return make_queue


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None,
                  enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                  shared_name=None, name=None):
    """batch() through a RandomShuffleQueue: batches of elements drawn at random from the at
    least `min_after_dequeue` waiting (until the input ends)."""
    return _batch([tensors], batch_size,
                  _shuffle_queue(capacity, min_after_dequeue, seed, shared_name), num_threads,
                  enqueue_many, shapes, False, allow_smaller_final_batch, name, "shuffle_batch")


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None,
                       enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                       shared_name=None, name=None):
    """shuffle_batch() over several inputs of one structure, one thread each."""
    return _batch(list(tensors_list), batch_size,
                  _shuffle_queue(capacity, min_after_dequeue, seed, shared_name), 1,
                  enqueue_many, shapes, False, allow_smaller_final_batch, name,
                  "shuffle_batch_join")
