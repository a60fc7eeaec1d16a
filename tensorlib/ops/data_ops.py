"""tf.data's iterator ops (src/ops/data_ops.cc): MakeIterator and IteratorGetNext.

The pipeline they carry is the text tensorlib/data/dataset_ops.py serialises; the datasets
themselves run in C++ (src/data/).
"""
from tensorlib.framework import ops


def encode_shapes(shapes):
    """Static shapes as the ops' int-list attributes: per shape its rank (-1: unknown), then
    its dims (-1: unknown)."""
    out = []
    for s in shapes:
        if s.ndims is None:
            out.append(-1)
            continue
        out.append(s.ndims)
        out.extend(-1 if d is None else int(d) for d in s.as_list())
    return out


def make_iterator(inputs, shared_name, pipeline, name=None):
    """The op that (re)starts iterator `shared_name` over `pipeline` bound to `inputs`."""
    return ops.get_default_graph()._create_op(
        "MakeIterator", list(inputs), {"shared_name": shared_name, "pipeline": pipeline},
        name=name or "MakeIterator")


def iterator_get_next(shared_name, dtypes, shapes, inputs=(), pipeline="", name=None):
    """The next element of iterator `shared_name`: tensors of `dtypes` and static `shapes`.
    With `pipeline` (and its `inputs`), a one-shot iterator made on the first run."""
    op = ops.get_default_graph()._create_op(
        "IteratorGetNext", list(inputs),
        {"shared_name": shared_name, "pipeline": pipeline, "num_outputs": len(dtypes),
         "output_types": [d.as_datatype_enum for d in dtypes],
         "output_shapes": encode_shapes(shapes)},
        name=name or "IteratorGetNext")
    return op.outputs


ops.NotDifferentiable("MakeIterator")
ops.NotDifferentiable("IteratorGetNext")
