"""The TF1 tutorials' MNIST reader on tiny IDX files written here: parsing, validation split,
scaling, one-hot labels, next_batch's epoch semantics, downloads (from a file:// URL) that
never leave half-written files, and clear errors for damaged files or no network."""
import gzip
import os

import numpy as np
import pytest

import tensorlib as tf
from tensorlib.examples.tutorials.mnist import input_data

ROWS, COLS = 3, 2


def idx_bytes(magic, dims, data):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + np.asarray(data, np.uint8).tobytes()


def write_gz(path, content):
    with gzip.open(path, "wb") as f:
        f.write(content)


def write_mnist(directory, n_train=12, n_test=4):
    """Four IDX files whose image i is filled with i (train) or 100 + i (test) and whose
    label i is i % 10; returns the images and labels."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {}
    for prefix, n, offset in (("train", n_train, 0), ("t10k", n_test, 100)):
        images = np.repeat(np.arange(offset, offset + n, dtype=np.uint8), ROWS * COLS)
        labels = np.arange(n, dtype=np.uint8) % 10
        write_gz(directory / f"{prefix}-images-idx3-ubyte.gz",
                 idx_bytes(2051, [n, ROWS, COLS], images))
        write_gz(directory / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(2049, [n], labels))
        data[prefix] = images.reshape(n, ROWS, COLS, 1), labels
    return data


def test_read_data_sets_splits_scales_and_flattens(tmp_path):
    data = write_mnist(tmp_path)
    mnist = input_data.read_data_sets(str(tmp_path), validation_size=5)
    assert (mnist.train.num_examples, mnist.validation.num_examples,
            mnist.test.num_examples) == (7, 5, 4)
    train_images, train_labels = data["train"]
    np.testing.assert_allclose(mnist.validation.images,
                               train_images[:5].reshape(5, -1) / np.float32(255), rtol=1e-6)
    assert mnist.train.images.dtype == np.float32 and mnist.train.images.shape == (7, 6)
    np.testing.assert_array_equal(mnist.train.labels, train_labels[5:])
    assert mnist.train.labels.dtype == np.uint8
    np.testing.assert_allclose(mnist.test.images[:, 0] * 255, [100, 101, 102, 103], rtol=1e-6)


def test_uint8_unreshaped_one_hot(tmp_path):
    write_mnist(tmp_path)
    mnist = input_data.read_data_sets(tmp_path, one_hot=True, dtype=np.uint8, reshape=False,
                                      validation_size=0)
    assert mnist.train.images.dtype == np.uint8
    assert mnist.train.images.shape == (12, ROWS, COLS, 1)
    assert mnist.train.labels.shape == (12, 10)
    np.testing.assert_array_equal(mnist.train.labels.argmax(axis=1), np.arange(12) % 10)
    with pytest.raises(TypeError, match="uint8 or float32"):
        input_data.read_data_sets(tmp_path, dtype=tf.int32, validation_size=0)


def test_validation_size_is_checked(tmp_path):
    write_mnist(tmp_path)
    with pytest.raises(ValueError, match="between 0 and 12. Received: 13"):
        input_data.read_data_sets(tmp_path, validation_size=13)


def test_next_batch_covers_each_epoch_once_and_wraps(tmp_path):
    write_mnist(tmp_path)
    train = input_data.read_data_sets(tmp_path, validation_size=2, seed=3).train
    ids = lambda images: list(np.rint(images[:, 0] * 255).astype(int))  # noqa: E731
    first = [ids(train.next_batch(4)[0]) for _ in range(2)]
    assert train.epochs_completed == 0
    images, labels = train.next_batch(4)  # 2 left in epoch 0, then 2 of epoch 1
    assert train.epochs_completed == 1
    np.testing.assert_array_equal(labels, np.rint(images[:, 0] * 255).astype(int) % 10)
    epoch0 = first[0] + first[1] + ids(images)[:2]
    assert sorted(epoch0) == list(range(2, 12))
    assert epoch0 != list(range(2, 12))  # shuffled (fixed seed)
    rest_of_epoch1 = ids(images)[2:] + ids(train.next_batch(8)[0])
    assert sorted(rest_of_epoch1) == list(range(2, 12)) and train.epochs_completed == 1


def test_next_batch_without_shuffle_keeps_the_order(tmp_path):
    write_mnist(tmp_path)
    train = input_data.read_data_sets(tmp_path, validation_size=0, dtype=np.uint8).train
    _, labels = train.next_batch(5, shuffle=False)
    np.testing.assert_array_equal(labels, [0, 1, 2, 3, 4])
    train.next_batch(5, shuffle=False)
    _, labels = train.next_batch(5, shuffle=False)
    np.testing.assert_array_equal(labels, [0, 1, 0, 1, 2])


def test_same_seed_same_batches(tmp_path):
    write_mnist(tmp_path)
    a = input_data.read_data_sets(tmp_path, seed=7, validation_size=0).train.next_batch(6)
    b = input_data.read_data_sets(tmp_path, seed=7, validation_size=0).train.next_batch(6)
    np.testing.assert_array_equal(a[1], b[1])


def test_fake_data():
    mnist = input_data.read_data_sets("unused", fake_data=True, one_hot=True)
    images, labels = mnist.train.next_batch(3, fake_data=True)
    assert np.asarray(images).shape == (3, 784) and labels[0] == [1] + [0] * 9


def test_missing_files_are_downloaded_whole(tmp_path):
    write_mnist(tmp_path / "mirror")
    target = tmp_path / "data"
    mnist = input_data.read_data_sets(str(target), validation_size=0,
                                      source_url=(tmp_path / "mirror").as_uri() + "/")
    assert mnist.train.num_examples == 12
    assert sorted(os.listdir(target)) == sorted(os.listdir(tmp_path / "mirror"))


def test_unreachable_source_is_a_clear_error_without_leftovers(tmp_path):
    target = tmp_path / "data"
    with pytest.raises(OSError, match="could not be downloaded from file:"):
        input_data.read_data_sets(str(target),
                                  source_url=(tmp_path / "nowhere").as_uri() + "/")
    assert os.listdir(target) == []


@pytest.mark.parametrize("damage, message", [
    (lambda p: write_gz(p, idx_bytes(2049, [2], [1, 2])), "Invalid magic number 2049"),
    (lambda p: write_gz(p, idx_bytes(2051, [12, ROWS, COLS], [0] * 10)), "holds 10 bytes"),
    (lambda p: p.write_bytes(p.read_bytes()[:20]), "is damaged"),
])
def test_damaged_files_raise(tmp_path, damage, message):
    write_mnist(tmp_path)
    damage(tmp_path / input_data.TRAIN_IMAGES)
    with pytest.raises(ValueError, match=message):
        input_data.read_data_sets(tmp_path)


def test_the_tutorials_softmax_regression_learns_from_the_reader(tmp_path):
    # Images light pixel `label` of 16: a linearly separable toy MNIST.
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 200), ("t10k", 50)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 40, (n, 16)).astype(np.uint8)
        images[np.arange(n), labels] = 255
        write_gz(tmp_path / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(2051, [n, 4, 4], images))
        write_gz(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(2049, [n], labels))
    mnist = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=20, seed=0)
    x = tf.placeholder(tf.float32, [None, 16])
    y_ = tf.placeholder(tf.float32, [None, 10])
    logits = tf.contrib.layers.fully_connected(x, 10, activation_fn=None)
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(300):
            batch_xs, batch_ys = mnist.train.next_batch(30)
            sess.run(train, {x: batch_xs, y_: batch_ys})
        test_accuracy = sess.run(accuracy, {x: mnist.test.images, y_: mnist.test.labels})
    # 9000 examples are 50 epochs of 180; the 50th ends exactly at the last batch and is
    # counted by the next call, as in TF1.
    assert mnist.train.epochs_completed == 49
    assert test_accuracy == 1.0
