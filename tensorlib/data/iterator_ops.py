"""tf.data.Iterator: TF1's iterators over datasets.

An iterator is a name in the session's state (its shared name) where the C++ iterator lives.
Its initializer (a MakeIterator op) makes a new one over a dataset, replacing the last;
get_next() is an IteratorGetNext op returning the next element, and raises OutOfRangeError from
Session.run at the end. A one-shot iterator's IteratorGetNext carries its dataset and makes the
C++ iterator on its first run.
"""
from tensorlib import dtypes as _dtypes
from tensorlib.data import dataset_ops
from tensorlib.framework import ops, tensor_shape
from tensorlib.ops import data_ops
from tensorlib.util import nest


class Iterator:
    """The position of a session in a dataset (TF1's tf.data.Iterator)."""

    def __init__(self, shared_name, output_types, output_shapes, one_shot=None):
        self._shared_name = shared_name
        self._types = output_types
        self._shapes = output_shapes
        self._one_shot = one_shot  # (pipeline, inputs) of a one-shot iterator
        self._initializer = None

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None,
                       output_classes=None):
        """An iterator for elements of this structure, not bound to a dataset: each
        `make_initializer(dataset)` op starts it over another dataset of that structure."""
        output_types = nest.map_structure(_dtypes.as_dtype, output_types)
        if output_shapes is None:
            output_shapes = nest.map_structure(lambda _: tensor_shape.unknown_shape(),
                                               output_types)
        else:
            nest.assert_same_structure(output_types, output_shapes, check_types=False)
            output_shapes = nest.pack_sequence_as(
                output_types,
                [tensor_shape.as_shape(s) for s in _shape_leaves(output_types, output_shapes)])
        graph = ops.get_default_graph()
        return Iterator(shared_name or graph.unique_name("Iterator"), output_types,
                        output_shapes)

    @staticmethod
    def _one_shot(dataset):
        graph = ops.get_default_graph()
        return Iterator(graph.unique_name("OneShotIterator"), dataset.output_types,
                        dataset.output_shapes, one_shot=dataset._serialize())

    output_types = dataset_ops.Dataset.output_types
    output_shapes = dataset_ops.Dataset.output_shapes
    output_classes = dataset_ops.Dataset.output_classes

    @property
    def initializer(self):
        """The op that (re)starts the iterator over its dataset."""
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer: a one-shot iterator "
                             "needs none; use make_initializer(dataset) for an iterator made "
                             "by from_structure")
        return self._initializer

    def make_initializer(self, dataset, name=None):
        """The op that starts this iterator over `dataset` (of the iterator's structure)."""
        try:
            nest.assert_same_structure(self._types, dataset.output_types)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Expected output types {self._types} but got dataset with output "
                            f"types {dataset.output_types}: {e}") from None
        if nest.flatten(self._types) != nest.flatten(dataset.output_types):
            raise TypeError(f"Expected output types {self._types} but got dataset with output "
                            f"types {dataset.output_types}.")
        for mine, theirs in zip(nest.flatten(self._shapes), nest.flatten(dataset.output_shapes)):
            if not mine.is_compatible_with(theirs):
                raise TypeError(f"Expected output shapes compatible with {self._shapes} but "
                                f"got dataset with output shapes {dataset.output_shapes}.")
        pipeline, inputs = dataset._serialize()
        with ops.name_scope(name, "make_initializer"):
            return data_ops.make_iterator(inputs, self._shared_name, pipeline)

    def get_next(self, name=None):
        """The next element: a structure of tensors; Session.run raises OutOfRangeError when
        the dataset has no more (FailedPreconditionError before initialization)."""
        pipeline, inputs = self._one_shot or ("", [])
        outputs = data_ops.iterator_get_next(
            self._shared_name, nest.flatten(self._types), nest.flatten(self._shapes),
            inputs=inputs, pipeline=pipeline, name=name)
        return nest.pack_sequence_as(self._types, outputs)

    def string_handle(self, name=None):
        raise NotImplementedError("Iterator.string_handle is not supported; switch datasets "
                                  "with from_structure and make_initializer")


def _shape_leaves(types, shapes):
    """The shapes at the places of the leaves of `types` (a shape may itself be a list)."""
    if not nest.is_sequence(types):
        return [shapes]
    out = []
    for t, s in zip(nest._items(types), nest._items(shapes)):
        out.extend(_shape_leaves(t, s))
    return out


def make_one_shot_iterator(dataset):
    """TF1's tf.data.make_one_shot_iterator(dataset)."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None):
    """TF1's tf.data.make_initializable_iterator(dataset)."""
    return dataset.make_initializable_iterator(shared_name)
