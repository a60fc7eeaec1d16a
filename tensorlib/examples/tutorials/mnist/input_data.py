"""The MNIST reader of TF1's tutorials:

    from tensorlib.examples.tutorials.mnist import input_data
    mnist = input_data.read_data_sets("/tmp/mnist", one_hot=True)
    images, labels = mnist.train.next_batch(100)

read_data_sets reads the four gzip IDX files of MNIST from `train_dir`, downloading those
missing from `source_url` first.
"""
import collections
import gzip
import os
import tempfile
import urllib.error
import urllib.request

import numpy as np

from tensorlib import dtypes

DEFAULT_SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

_IMAGES_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


def _read_idx(f, magic, path):
    """The dims and the uint8 data of an IDX stream whose magic number must be `magic`.

    Raises:
      ValueError: for another magic number, or data shorter than the dims say.
    """
    header = f.read(4)
    found = int.from_bytes(header, "big") if len(header) == 4 else None
    if found != magic:
        raise ValueError(f"Invalid magic number {found} in MNIST file {path} (expected {magic})")
    ndim = magic & 0xFF
    dims_bytes = f.read(4 * ndim)
    if len(dims_bytes) != 4 * ndim:
        raise ValueError(f"MNIST file {path} ends inside its header")
    dims = [int.from_bytes(dims_bytes[4 * i:4 * i + 4], "big") for i in range(ndim)]
    count = int(np.prod(dims))
    data = np.frombuffer(f.read(count), dtype=np.uint8)
    if data.size != count:
        raise ValueError(f"MNIST file {path} holds {data.size} bytes of data where its header "
                         f"says {dims} ({count})")
    return dims, data


def _open_gzip(path, read):
    """read(stream) on the decompressed `path`, a damaged gzip stream a ValueError."""
    try:
        with gzip.open(path, "rb") as f:
            return read(f)
    except (OSError, EOFError) as e:
        raise ValueError(f"MNIST file {path} is damaged: {e}") from None


def extract_images(path):
    """The images of a gzip IDX image file as uint8 [num_images, rows, cols, 1].

    Raises:
      ValueError: if the file is not an IDX image file, or is damaged.
    """
    dims, data = _open_gzip(path, lambda f: _read_idx(f, _IMAGES_MAGIC, path))
    return data.reshape(dims[0], dims[1], dims[2], 1)


def dense_to_one_hot(labels_dense, num_classes):
    """Class indices [n] as one-hot rows [n, num_classes] (float64)."""
    one_hot = np.zeros((labels_dense.shape[0], num_classes))
    one_hot[np.arange(labels_dense.shape[0]), labels_dense] = 1
    return one_hot


def extract_labels(path, one_hot=False, num_classes=10):
    """The labels of a gzip IDX label file: uint8 [num_items], or one-hot rows.

    Raises:
      ValueError: if the file is not an IDX label file, or is damaged.
    """
    _, labels = _open_gzip(path, lambda f: _read_idx(f, _LABELS_MAGIC, path))
    return dense_to_one_hot(labels, num_classes) if one_hot else labels


class DataSet:
    """Images and labels served in shuffled minibatches, epoch after epoch.

    Images are flattened to [n, rows * cols] when `reshape`, and scaled from [0, 255] to
    [0.0, 1.0] for dtype float32 (uint8 keeps the bytes). Shuffling uses a random generator
    of the DataSet's own, seeded with `seed` (fresh randomness when None).
    """

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=dtypes.float32,
                 reshape=True, seed=None):
        dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
        if dtype not in (np.uint8, np.float32):
            raise TypeError(f"Invalid image dtype {dtype.name}, expected uint8 or float32")
        self._rng = np.random.RandomState(seed)
        self._one_hot = one_hot
        if fake_data:
            self._num_examples = 10000
        else:
            images, labels = np.asarray(images), np.asarray(labels)
            if images.shape[0] != labels.shape[0]:
                raise ValueError(f"images.shape: {images.shape} labels.shape: {labels.shape}")
            self._num_examples = images.shape[0]
            if reshape:
                if images.ndim != 4 or images.shape[3] != 1:
                    raise ValueError(f"reshape needs images of shape [n, rows, cols, 1], got "
                                     f"{images.shape}")
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if dtype == np.float32:
                images = images.astype(np.float32) * np.float32(1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def _shuffle(self):
        order = self._rng.permutation(self._num_examples)
        self._images = self._images[order]
        self._labels = self._labels[order]

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """The next `batch_size` (images, labels). The examples are shuffled before the first
        batch and at each epoch's end (when `shuffle`); a batch that crosses the end of an
        epoch takes the epoch's remaining examples and completes itself from the next."""
        if fake_data:
            image = [1] * 784
            label = [1] + [0] * 9 if self._one_hot else 0
            return [image] * batch_size, [label] * batch_size
        start = self._index_in_epoch
        if shuffle and self._epochs_completed == 0 and start == 0:
            self._shuffle()
        if start + batch_size <= self._num_examples:
            self._index_in_epoch = start + batch_size
            return (self._images[start:self._index_in_epoch],
                    self._labels[start:self._index_in_epoch])
        self._epochs_completed += 1
        rest_images = self._images[start:]
        rest_labels = self._labels[start:]
        if shuffle:
            self._shuffle()
        self._index_in_epoch = batch_size - rest_images.shape[0]
        end = self._index_in_epoch
        return (np.concatenate([rest_images, self._images[:end]]),
                np.concatenate([rest_labels, self._labels[:end]]))


def maybe_download(filename, work_directory, source_url):
    """The path of `filename` in `work_directory`, downloaded from source_url + filename
    first when it is not there. The download goes to a temporary file renamed into place
    once complete, so an interrupted one leaves nothing behind.

    Raises:
      OSError: if the file is missing and cannot be downloaded.
    """
    path = os.path.join(work_directory, filename)
    if os.path.exists(path):
        return path
    os.makedirs(work_directory, exist_ok=True)
    url = source_url + filename
    fd, tmp_path = tempfile.mkstemp(dir=work_directory, prefix=filename + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        os.replace(tmp_path, path)
    except (urllib.error.URLError, OSError) as e:
        os.unlink(tmp_path)
        raise OSError(f"{path} is missing and could not be downloaded from {url}: {e}. Put the "
                      "MNIST files there, or pass read_data_sets a source_url that can be "
                      "reached.") from None
    except BaseException:
        os.unlink(tmp_path)
        raise
    return path


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=dtypes.float32,
                   reshape=True, validation_size=5000, seed=None,
                   source_url=DEFAULT_SOURCE_URL):
    """Datasets(train, validation, test) of MNIST from the gzip IDX files in `train_dir`
    (downloaded from `source_url` when missing); the first `validation_size` training
    examples form the validation set.

    Raises:
      ValueError: for a validation_size outside [0, number of training examples], or a
        damaged file.
      OSError: if a file is missing and cannot be downloaded.
    """
    options = dict(one_hot=one_hot, dtype=dtype, reshape=reshape, seed=seed)
    if fake_data:
        return Datasets(*(DataSet([], [], fake_data=True, **options) for _ in range(3)))
    if not source_url:
        source_url = DEFAULT_SOURCE_URL

    def read(filename, extract, **kwargs):
        return extract(maybe_download(filename, train_dir, source_url), **kwargs)

    train_images = read(TRAIN_IMAGES, extract_images)
    train_labels = read(TRAIN_LABELS, extract_labels, one_hot=one_hot)
    test_images = read(TEST_IMAGES, extract_images)
    test_labels = read(TEST_LABELS, extract_labels, one_hot=one_hot)
    if not 0 <= validation_size <= len(train_images):
        raise ValueError(f"Validation size should be between 0 and {len(train_images)}. "
                         f"Received: {validation_size}.")
    options.pop("one_hot")
    return Datasets(
        train=DataSet(train_images[validation_size:], train_labels[validation_size:],
                      **options),
        validation=DataSet(train_images[:validation_size], train_labels[:validation_size],
                           **options),
        test=DataSet(test_images, test_labels, **options))


def load_mnist(train_dir="MNIST-data"):
    """read_data_sets(train_dir) with the defaults."""
    return read_data_sets(train_dir)
