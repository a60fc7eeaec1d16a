"""tf.data: input pipelines (Dataset, Iterator) that run in C++ worker threads."""
from tensorlib.data import experimental  # noqa: F401
from tensorlib.data.dataset_ops import Dataset  # noqa: F401
from tensorlib.data.iterator_ops import (  # noqa: F401
    Iterator, make_initializable_iterator, make_one_shot_iterator,
)
