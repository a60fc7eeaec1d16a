"""tf.data.Dataset: input pipelines that run in C++.

A Dataset is a description: a stage (its kind, attributes, the tensors it takes, the graph
functions it calls) over upstream datasets. Nothing runs in Python: an iterator's ops carry the
whole pipeline, serialised as text, with every tensor it needs as op inputs; the session binds
them into C++ datasets (src/data/) whose iterators produce the elements, on worker threads for
a parallel map and a prefetch. Functions given to map, filter and flat_map are traced once into
graph functions (func_graph.FuncGraph) of the element's structure; the tensors they use from
outside are captured, so they are read when the iterator is initialized.

Elements are nested structures (tuples, dicts) of tensors, flattened as `nest` flattens them;
`output_types`, `output_shapes` and `output_classes` describe them with the same structure.

Before it is serialised a pipeline is optimised as tf.data's map vectorization does: a map
whose function is elementwise, followed by stages that pass elements on without reading them
and a batch, runs after the batch instead, once per batch (see `_vectorized`).
"""
import numpy as np

from tensorlib import dtypes as _dtypes
from tensorlib.framework import func_graph as _func_graph
from tensorlib.framework import ops, random_seed, tensor_shape
from tensorlib.framework.constant_op import convert_to_tensor
from tensorlib.util import nest

AUTOTUNE = -1

# Ops whose every output element is the exactly rounded result of the matching elements of
# their (broadcast) inputs: through them, a batch of elements gives bit for bit the elements
# given one by one. Stateless, and none fails on a value.
_ELEMENTWISE = frozenset({
    "Identity", "Cast", "Neg", "Abs", "Square", "Sign", "Round", "Floor", "Ceil", "Relu",
    "LogicalNot", "Add", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference",
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd",
    "LogicalOr"})

# Stages that pass elements on without reading their values (nor erroring on them): a map of
# an elementwise function may run after them instead of before.
_VALUE_BLIND = ("shuffle", "repeat", "take", "skip")


def _as_int64(value, name):
    """A count or size as a tensor: a tensor as given (int32 or int64), else an int64 constant."""
    if isinstance(value, ops.Tensor):
        if value.dtype not in (_dtypes.int32, _dtypes.int64):
            raise TypeError(f"{name} must be an integer tensor, got {value.dtype.name}")
        return value
    return convert_to_tensor(int(value), _dtypes.int64, name=name)


def _static_int(value):
    """`value` as a Python int when it is one, else None (a tensor)."""
    return None if isinstance(value, ops.Tensor) else int(value)


def _to_tensors(value):
    """`value` with its leaves (and lists, which TF treats as one tensor) made tensors."""
    if isinstance(value, (tuple, dict)):
        return nest._rebuild(value, [_to_tensors(v) for v in nest._items(value)])
    return convert_to_tensor(value)


def _tuple_lists(value):
    """A function's result with its lists made tuples, as TF reads them."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, (tuple, dict)):
        return nest._rebuild(value, [_tuple_lists(v) for v in nest._items(value)])
    return value


class Dataset:
    """A sequence of elements, each a nested structure of tensors (TF1's tf.data.Dataset)."""

    def __init__(self, kind, types, shapes, upstream=(), attrs=None, inputs=(), template=None,
                 function=None):
        self._kind = kind
        self._types = types
        self._shapes = shapes
        self._upstream = list(upstream)
        self._attrs = dict(attrs or {})
        self._inputs = list(inputs)  # this stage's own tensors, in the order C++ takes them
        self._template = template    # flat_map: the dataset its function returns
        self._function = function    # map: its FuncGraph
        self._over_batches = {}      # map: {"f": its function over batches}, once made

    # ---- the element's structure ----

    @property
    def output_types(self):
        return self._types

    @property
    def output_shapes(self):
        return self._shapes

    @property
    def output_classes(self):
        return nest.map_structure(lambda _: ops.Tensor, self._types)

    def _flat_types(self):
        return nest.flatten(self._types)

    def _flat_shapes(self):
        return nest.flatten(self._shapes)

    # ---- sources ----

    @staticmethod
    def from_tensors(tensors):
        """A dataset of one element, `tensors`."""
        tensors = _to_tensors(tensors)
        flat = nest.flatten(tensors)
        return Dataset("tensors", nest.map_structure(lambda t: t.dtype, tensors),
                       nest.map_structure(lambda t: t.shape, tensors),
                       attrs={"components": len(flat)}, inputs=flat)

    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset of the slices of `tensors` along their first dimension."""
        tensors = _to_tensors(tensors)
        flat = nest.flatten(tensors)
        rows = None
        for t in flat:
            if t.shape.ndims == 0:
                raise ValueError(f"Unbatching a tensor is only supported for rank >= 1, got "
                                 f"{t.name} of shape {t.shape}")
            n = None if t.shape.ndims is None else t.shape[0].value
            if n is not None and rows is not None and n != rows:
                raise ValueError(f"Dimensions {rows} and {n} are not compatible: every "
                                 "component of from_tensor_slices needs the same first dim")
            rows = n if n is not None else rows
        return Dataset("slices", nest.map_structure(lambda t: t.dtype, tensors),
                       nest.map_structure(lambda t: t.shape[1:], tensors),
                       attrs={"components": len(flat)}, inputs=flat)

    @staticmethod
    def range(*args):
        """range(stop), range(start, stop) or range(start, stop, step): int64 scalars."""
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid arguments to range: {args}")
        start, stop, step = (0, args[0], 1) if len(args) == 1 else (tuple(args) + (1,))[:3]
        return Dataset("range", _dtypes.int64, tensor_shape.TensorShape([]),
                       inputs=[_as_int64(start, "start"), _as_int64(stop, "stop"),
                               _as_int64(step, "step")])

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """The elements `generator(*args)` yields, each a structure of `output_types` (NumPy
        values or Python lists); `args` are tensors evaluated when the iterator starts, passed
        as NumPy arrays. Built, as in TF, on tf.py_func: the generator runs in Python (with the
        GIL) on whichever thread pulls its elements."""
        from tensorlib.ops import script_ops  # noqa: avoids an import cycle
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        output_types = nest.map_structure(_dtypes.as_dtype, output_types)
        flat_types = nest.flatten(output_types)
        if output_shapes is None:
            flat_shapes = [tensor_shape.unknown_shape() for _ in flat_types]
        else:
            flat_shapes = [tensor_shape.as_shape(s)
                           for s in _flatten_like(output_types, output_shapes)]
        output_shapes = nest.pack_sequence_as(output_types, flat_shapes)
        args = [convert_to_tensor(a) for a in (args or ())]
        running = _GeneratorStates(generator, len(args), output_types, flat_types, flat_shapes)

        def start(*arrays):
            return script_ops.py_func(running.start, list(arrays), _dtypes.int64,
                                      name="generator_start")

        def elements(key):
            def step(k):
                flat = script_ops.py_func(running.next, [k], flat_types, name="generator_next")
                for t, shape in zip(flat, flat_shapes):
                    t.set_shape(shape)
                return nest.pack_sequence_as(output_types, flat)
            return Dataset.from_tensors(key).repeat().map(step)

        keys = Dataset.from_tensors(tuple(args) or (np.int64(0),)).map(start)
        return keys.flat_map(elements)

    @staticmethod
    def zip(datasets):
        """Elements of `datasets` (a nested structure of datasets) side by side; ends with the
        shortest."""
        flat = nest.flatten(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"zip() expects a nested structure of Datasets, got {d!r}")
        return Dataset("zip", nest.pack_sequence_as(datasets, [d._types for d in flat]),
                       nest.pack_sequence_as(datasets, [d._shapes for d in flat]),
                       upstream=flat)

    # ---- transformations ----

    def concatenate(self, dataset):
        """This dataset's elements, then `dataset`'s (of the same structure and types)."""
        try:
            nest.assert_same_structure(self._types, dataset._types)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Two datasets to concatenate have different structures: {e}") \
                from None
        if self._flat_types() != dataset._flat_types():
            raise TypeError(f"Two datasets to concatenate have different types "
                            f"{self._types} and {dataset._types}")
        shapes = [a.most_specific_compatible_shape(b)
                  for a, b in zip(self._flat_shapes(), dataset._flat_shapes())]
        return Dataset("concatenate", self._types, nest.pack_sequence_as(self._shapes, shapes),
                       upstream=[self, dataset])

    def map(self, map_func, num_parallel_calls=None):
        """`map_func` applied to each element (a tuple element is passed as positional
        arguments). With `num_parallel_calls` (or AUTOTUNE), that many calls run at once on
        worker threads; the order of the elements is kept."""
        fg, result = self._trace(map_func, "map")
        parallel = 1 if num_parallel_calls is None else num_parallel_calls
        return Dataset("map", nest.map_structure(lambda t: t.dtype, result),
                       nest.map_structure(lambda t: t.shape, result), upstream=[self],
                       attrs={"f": fg.name, "f_captures": len(fg.captured)},
                       inputs=fg.captured + [_as_int64(parallel, "num_parallel_calls")],
                       function=fg)

    def flat_map(self, map_func):
        """The elements of the datasets `map_func` returns for each element, one after the
        other."""
        fg, inner = self._trace(map_func, "flat_map", returns_dataset=True)
        return Dataset("flat_map", inner._types, inner._shapes, upstream=[self],
                       attrs={"f": fg.name, "f_captures": len(fg.captured)},
                       inputs=fg.captured, template=inner)

    def filter(self, predicate):
        """The elements for which `predicate` (a scalar bool tensor) is true."""
        fg, result = self._trace(predicate, "filter")
        if not isinstance(result, ops.Tensor) or result.dtype != _dtypes.bool or \
                not result.shape.is_compatible_with(tensor_shape.TensorShape([])):
            what = (f"{result.dtype.name} of shape {result.shape}"
                    if isinstance(result, ops.Tensor) else repr(result))
            raise ValueError("`predicate` return type must be convertible to a scalar boolean "
                             f"tensor. Was {what}.")
        return Dataset("filter", self._types, self._shapes, upstream=[self],
                       attrs={"predicate": fg.name, "predicate_captures": len(fg.captured)},
                       inputs=fg.captured)

    def batch(self, batch_size, drop_remainder=False):
        """Consecutive elements stacked in batches of `batch_size` (the last one smaller,
        unless `drop_remainder`). Components must have one shape within a batch."""
        size = _static_int(batch_size) if drop_remainder else None
        shapes = nest.map_structure(lambda s: _batched(size, s), self._shapes)
        return Dataset("batch", self._types, shapes, upstream=[self],
                       attrs={"drop_remainder": int(bool(drop_remainder))},
                       inputs=[_as_int64(batch_size, "batch_size")])

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False):
        """Batches of elements padded to `padded_shapes` (a structure like the element's;
        None dims pad to the batch's largest) with `padding_values` (0 or '' by default)."""
        if padded_shapes is None:
            padded_shapes = nest.map_structure(
                lambda s: tensor_shape.TensorShape([None] * s.ndims), self._shapes)
        flat_padded = [_padded_shape(p) for p in _flatten_like(self._types, padded_shapes)]
        for p, s in zip(flat_padded, self._flat_shapes()):
            _check_padded_shape(p, s)
        if padding_values is None:
            flat_values = [None] * len(flat_padded)
        else:
            flat_values = _flatten_like(self._types, padding_values)
        values = []
        for v, dtype in zip(flat_values, self._flat_types()):
            if v is None:
                v = "" if dtype == _dtypes.string else 0
            v = v if isinstance(v, ops.Tensor) else convert_to_tensor(v, dtype, "padding_value")
            if v.dtype != dtype or v.shape.ndims not in (None, 0):
                raise TypeError(f"a padding value must be a scalar {dtype.name}, got "
                                f"{v.dtype.name} of shape {v.shape}")
            values.append(v)
        size = _static_int(batch_size) if drop_remainder else None
        shapes = nest.pack_sequence_as(
            self._shapes, [_batched(size, p) for p in flat_padded])
        return Dataset("padded_batch", self._types, shapes, upstream=[self],
                       attrs={"drop_remainder": int(bool(drop_remainder)),
                              "padded_shapes": _encode_padded(flat_padded)},
                       inputs=[_as_int64(batch_size, "batch_size")] + values)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        """The elements in a random order, from a buffer of `buffer_size` elements. Seeded as
        TF1's random ops are (tf.set_random_seed and `seed`): deterministic with either set.
        With `reshuffle_each_iteration` (the default) each epoch of a repeat draws a new order;
        re-initializing an iterator starts the same sequence of orders again."""
        seed1, seed2 = random_seed.get_seed(seed)
        reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        return Dataset("shuffle", self._types, self._shapes, upstream=[self],
                       attrs={"reshuffle": int(reshuffle)},
                       inputs=[_as_int64(buffer_size, "buffer_size"),
                               _as_int64(seed1 or 0, "seed"), _as_int64(seed2 or 0, "seed2")])

    def repeat(self, count=None):
        """The elements `count` times (forever when None or -1)."""
        return self._counted("repeat", -1 if count is None else count, "count")

    def take(self, count):
        """At most the first `count` elements (all of them when -1)."""
        return self._counted("take", count, "count")

    def skip(self, count):
        """The elements after the first `count` (none when -1)."""
        return self._counted("skip", count, "count")

    def cache(self, filename=""):
        """The elements, kept in memory by the first full pass and replayed by later ones."""
        if filename:
            raise NotImplementedError("Dataset.cache keeps elements in memory only; "
                                      f"caching to file {filename!r} is not supported")
        return Dataset("cache", self._types, self._shapes, upstream=[self])

    def prefetch(self, buffer_size):
        """The elements, produced ahead by a background thread into a buffer of
        `buffer_size` elements (AUTOTUNE: 2)."""
        return self._counted("prefetch", buffer_size, "buffer_size")

    def apply(self, transformation_func):
        """`transformation_func(self)`, which must return a Dataset."""
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError("`transformation_func` must return a Dataset.")
        return out

    # ---- iterators ----

    def make_one_shot_iterator(self):
        """An iterator over this dataset that needs no initialization."""
        from tensorlib.data.iterator_ops import Iterator
        return Iterator._one_shot(self)

    def make_initializable_iterator(self, shared_name=None):
        """An iterator over this dataset, (re)started by running its `initializer`."""
        from tensorlib.data.iterator_ops import Iterator
        it = Iterator.from_structure(self._types, self._shapes, shared_name=shared_name)
        it._initializer = it.make_initializer(self)
        return it

    # ---- the description the iterator ops carry ----

    def _counted(self, kind, count, name):
        return Dataset(kind, self._types, self._shapes, upstream=[self],
                       inputs=[_as_int64(count, name)])

    def _serialize(self):
        """(pipeline text, the tensors it binds, in the order C++ takes them)."""
        tokens, inputs = [], []
        self._vectorized()._write(tokens, inputs)
        return " ".join(tokens), inputs

    def _over(self, upstream, types, shapes):
        """This stage reading `upstream` instead, its elements of `types` and `shapes`."""
        out = Dataset(self._kind, types, shapes, upstream=upstream, attrs=self._attrs,
                      inputs=self._inputs, template=self._template, function=self._function)
        out._over_batches = self._over_batches  # copies share the function over batches
        return out

    def _vectorized(self):
        """This pipeline with every `map(f)`, then value-blind stages (shuffle, repeat, take,
        skip), then `batch` rewritten to the value-blind stages, the batch, then `f` on the
        whole batch, when f is elementwise (`_batchable`). The elements are the same, bit for
        bit and in the same order (the stages moved before the map never read values), and f
        runs once per batch instead of once per element."""
        out = self._over([d._vectorized() for d in self._upstream], self._types, self._shapes)
        if self._kind != "batch":
            return out
        blind, source = [], out._upstream[0]
        while source._kind in _VALUE_BLIND:
            blind.append(source)
            source = source._upstream[0]
        if source._kind != "map" or not source._map_batchable():
            return out
        inner = source._upstream[0]
        for stage in reversed(blind):
            inner = stage._over([inner], inner._types, inner._shapes)
        batched = out._over([inner], inner._types,
                            nest.map_structure(lambda s: _batched(None, s), inner._shapes))
        fg = source._batched_function()
        return Dataset("map", self._types, self._shapes, upstream=[batched._vectorized()],
                       attrs={"f": fg.name, "f_captures": len(fg.captured)},
                       inputs=fg.captured + source._inputs[-1:], function=fg)

    def _map_batchable(self):
        """Whether this map's function may run on a batch of elements at once."""
        arguments = self._upstream[0]._flat_shapes()
        return (all(s.is_fully_defined() for s in arguments) and
                _batchable(self._function, len(arguments)))

    def _batched_function(self):
        """This map's function over batches of its arguments: a copy of its body whose
        arguments have a leading batch dim."""
        if "f" not in self._over_batches:
            fg = self._function
            upstream = self._upstream[0]
            batched = _func_graph.FuncGraph(
                _func_graph.unique_function_name(fg.outer_graph, fg.name + "_batched"),
                fg.outer_graph)
            with batched.as_default():
                args = [batched.add_argument(dtype, _batched(None, shape), "arg")
                        for dtype, shape in zip(upstream._flat_types(), upstream._flat_shapes())]
                captures = [batched.capture(t) for t in fg.captured]
                copies = _func_graph.inline(fg, args + captures)
                batched.outputs = [copies[t] for t in fg.outputs]
            batched.add_to_library()
            self._over_batches["f"] = batched
        return self._over_batches["f"]

    def _write(self, tokens, inputs):
        tokens += [self._kind, str(len(self._attrs))]
        for key, value in self._attrs.items():
            if isinstance(value, (list, tuple)):
                value = "[" + ",".join(str(int(v)) for v in value) + "]"
            tokens += [key, str(value)]
        children = self._upstream + ([self._template] if self._template is not None else [])
        tokens.append(str(len(children)))
        for d in self._upstream:
            d._write(tokens, inputs)
        if self._template is not None:
            self._template._write(tokens, [])  # bound to the function's results instead
        inputs += self._inputs

    def _flat_inputs(self):
        tokens, inputs = [], []
        self._write(tokens, inputs)
        return inputs

    def _trace(self, fn, kind, returns_dataset=False):
        """`fn` traced into a graph function of this dataset's elements: (the FuncGraph, in
        the library, and what fn returned, its tensors made tensors of the body)."""
        graph = ops.get_default_graph()
        fg = _func_graph.FuncGraph(_func_graph.unique_function_name(graph, kind), graph)
        with fg.as_default():
            args = [fg.add_argument(dtype, shape, "arg")
                    for dtype, shape in zip(self._flat_types(), self._flat_shapes())]
            element = nest.pack_sequence_as(self._types, args)
            result = fn(*element) if type(element) is tuple else fn(element)
            if returns_dataset:
                if not isinstance(result, Dataset):
                    raise TypeError(f"`map_func` of {kind} must return a Dataset, got "
                                    f"{type(result).__name__}")
                flat = result._flat_inputs()
            else:
                if result is None:
                    raise ValueError(f"the function given to {kind} must return a value")
                result = _to_tensors(_tuple_lists(result))
                flat = nest.flatten(result)
            fg.outputs = [fg.capture(t) for t in flat]
        fg.add_to_library()
        return fg, result


class _GeneratorStates:
    """The running generators of one from_generator dataset, by key: an iterator's start
    makes one (from the arguments' values), its steps advance it; StopIteration ends the
    sequence (py_func turns it into OutOfRange, which ends a map) and drops it."""

    def __init__(self, generator, num_args, output_types, flat_types, flat_shapes):
        self._generator = generator
        self._num_args = num_args  # without arguments, start gets a placeholder value
        self._types = output_types
        self._flat_types = flat_types
        self._flat_shapes = flat_shapes
        self._running = {}
        self._keys = iter(range(2 ** 62))

    def start(self, *args):
        key = next(self._keys)
        self._running[key] = iter(self._generator(*args[:self._num_args]))
        return np.int64(key)

    def next(self, key):
        key = int(key)
        try:
            value = next(self._running[key])
        except StopIteration:
            del self._running[key]
            raise
        out = []
        for v, dtype, shape in zip(_flatten_like(self._types, value), self._flat_types,
                                   self._flat_shapes):
            v = np.asarray(v, dtype=object if dtype == _dtypes.string else dtype.as_numpy_dtype)
            if not shape.is_compatible_with(tensor_shape.TensorShape(v.shape)):
                raise ValueError(f"`generator` yielded an element of shape {v.shape} where an "
                                 f"element of shape {shape} was expected.")
            out.append(v)
        return out


def _batchable(fg, num_args):
    """Whether function `fg` of `num_args` arguments (then its captures) computes on a batch
    of its arguments (a leading dim added) what it computes on each: made of _ELEMENTWISE ops
    only, each taking values derived from the arguments all of one rank r and other values
    (constants, captures) of rank at most r, so that broadcasting lines up the element dims as
    it did; and every output derived from the arguments (a constant output would not be
    stacked)."""
    rank = {t: t.shape.ndims for t in fg.inputs[:num_args]}  # derived tensor -> element rank
    for op in fg.get_operations():
        if op.type == "Placeholder" or op.type == "Const" and not op.control_inputs:
            continue
        if op.type not in _ELEMENTWISE or op.control_inputs:
            return False
        derived = {rank[t] for t in op.inputs if t in rank}
        if not derived:
            continue  # computed from constants alone: the same for every element
        others = [t.shape.ndims for t in op.inputs if t not in rank]
        if len(derived) != 1 or None in derived or None in others:
            return False
        (r,) = derived
        if any(n > r for n in others) or any(t.shape.ndims != r for t in op.outputs):
            return False
        for t in op.outputs:
            rank[t] = r
    return all(t in rank for t in fg.outputs)


def _batched(size, shape):
    """[size] + shape (size None: unknown)."""
    if shape.ndims is None:
        return tensor_shape.unknown_shape()
    return tensor_shape.TensorShape([size] + shape.as_list())


def _flatten_like(structure, value):
    """`value`'s parts at the places of `structure`'s leaves (a leaf of `structure` may be a
    list in `value`: a shape)."""
    if not nest.is_sequence(structure):
        return [value]
    if isinstance(structure, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(structure):
            raise ValueError(f"{value!r} does not match the element's structure {structure!r}")
    elif not isinstance(value, (list, tuple)) or len(value) != len(structure):
        raise ValueError(f"{value!r} does not match the element's structure {structure!r}")
    out = []
    for s, v in zip(nest._items(structure), nest._items(value)):
        out.extend(_flatten_like(s, v))
    return out


def _padded_shape(p):
    """A padded shape as a TensorShape (-1 dims are None)."""
    if isinstance(p, ops.Tensor):
        raise TypeError("padded_shapes must be static shapes (lists or TensorShapes)")
    if isinstance(p, (list, tuple, np.ndarray)):
        p = [None if d is None or int(d) == -1 else int(d) for d in p]
    shape = tensor_shape.as_shape(p)
    if shape.ndims is None:
        raise ValueError("padded_shapes must have a known rank")
    return shape


def _check_padded_shape(padded, shape):
    if shape.ndims is None:
        return
    if shape.ndims != padded.ndims:
        raise ValueError(f"The padded shape {padded} is not compatible with the corresponding "
                         f"input component shape {shape}.")
    for p, s in zip(padded.as_list(), shape.as_list()):
        if p is not None and s is not None and s > p:
            raise ValueError(f"The padded shape {padded} is not compatible with the "
                             f"corresponding input component shape {shape}.")


def _encode_padded(shapes):
    out = []
    for s in shapes:
        out.append(s.ndims)
        out.extend(-1 if d is None else d for d in s.as_list())
    return out
