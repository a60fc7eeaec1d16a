"""tf.nn.nce_loss, tf.nn.sampled_softmax_loss and the candidate samplers, checked against
NumPy references of TF1's formulas, TensorFlow's values (fixtures/sampled_losses) and the
samplers' closed-form distributions."""
import pathlib

import numpy as np
import pytest

import tensorlib as tf

FIX = np.load(pathlib.Path(__file__).parent / "fixtures" / "sampled_losses" /
              "sampled_losses.npz")
LOWEST = np.finfo(np.float32).min


def sampled_logits_ref(w, b, labels, x, sampled, true_expected, sampled_expected, remove):
    """TF1's _compute_sampled_logits in NumPy: (logits, labels)."""
    num_true = labels.shape[1]
    true_logits = np.einsum("bd,btd->bt", x, w[labels]) + b[labels] - np.log(true_expected)
    sampled_logits = x @ w[sampled].T + b[sampled]
    if remove:
        hit = (labels[:, :, None] == sampled[None, None, :]).any(axis=1)
        sampled_logits = np.where(hit, sampled_logits + LOWEST, sampled_logits)
    sampled_logits = sampled_logits - np.log(sampled_expected)
    logits = np.concatenate([true_logits, sampled_logits], 1)
    targets = np.concatenate([np.full(true_logits.shape, 1.0 / num_true),
                              np.zeros(sampled_logits.shape)], 1)
    return logits, targets


def nce_ref(*args):
    logits, z = sampled_logits_ref(*args)
    return np.sum(np.maximum(logits, 0) - logits * z + np.log1p(np.exp(-np.abs(logits))), 1)


def sampled_softmax_ref(*args):
    logits, z = sampled_logits_ref(*args)
    shifted = logits - logits.max(1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -np.sum(z * log_softmax, 1)


LOSSES = [("nce_loss", tf.nn.nce_loss, nce_ref),
          ("sampled_softmax_loss", tf.nn.sampled_softmax_loss, sampled_softmax_ref)]


@pytest.mark.parametrize("remove", [False, True])
@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize("name,loss_fn,ref", LOSSES, ids=[l[0] for l in LOSSES])
def test_loss_with_given_samples_matches_numpy_and_tensorflow(name, loss_fn, ref, num_true,
                                                              remove):
    f = FIX
    labels, true_expected = f[f"LABELS{num_true}"], f[f"TRUE_EXPECTED{num_true}"]
    w = tf.Variable(f["WEIGHTS"])
    loss = loss_fn(w, tf.constant(f["BIASES"]), labels, f["INPUTS"], 4, 10, num_true=num_true,
                   sampled_values=(f["SAMPLED"], true_expected, f["SAMPLED_EXPECTED"]),
                   remove_accidental_hits=remove)
    grad = tf.gradients(tf.reduce_sum(loss), w)[0]
    assert isinstance(grad, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(w.initializer)
        got, got_grad = sess.run([loss, tf.convert_to_tensor(grad)])
    want = ref(f["WEIGHTS"].astype(np.float64), f["BIASES"].astype(np.float64), labels,
               f["INPUTS"].astype(np.float64), f["SAMPLED"], true_expected,
               f["SAMPLED_EXPECTED"], remove)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    key = f"{name}/{num_true}/{remove}"
    np.testing.assert_allclose(got, f[key], rtol=1e-5)
    np.testing.assert_allclose(got_grad, f[key + "/grad"], rtol=1e-4, atol=1e-6)


def test_accidental_hits_match_numpy():
    labels = np.array([[2, 5], [7, 2], [0, 9]], np.int64)
    sampled = np.array([3, 2, 9, 2], np.int64)  # 2 twice: its last position counts
    indices, ids, weights = tf.nn.compute_accidental_hits(labels, sampled, num_true=2)
    with tf.Session() as sess:
        got = sess.run([indices, ids, weights])
    assert got[0].tolist() == [0, 1, 2]
    assert got[1].tolist() == [3, 3, 2]
    np.testing.assert_array_equal(got[2], [LOWEST] * 3)
    assert got[0].dtype == np.int32 and got[1].dtype == np.int64


def log_uniform_p(c, range_max):
    return (np.log(c + 2.0) - np.log(c + 1.0)) / np.log(range_max + 1.0)


# Counts of ids 2..11 (ids 0 and 1 reserved), distorted by 0.75.
UNIGRAMS = [5, 1, 8, 2, 2, 9, 1, 4, 3, 6]


def unigram_p(c, range_max):
    w = np.concatenate([[0, 0], np.power(UNIGRAMS, 0.75)])
    return w[c] / w.sum()


def fixed_unigram(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    return tf.nn.fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique,
                                                 range_max, distortion=0.75, num_reserved_ids=2,
                                                 unigrams=UNIGRAMS, seed=seed)


SAMPLERS = [("log_uniform", tf.nn.log_uniform_candidate_sampler, log_uniform_p),
            ("uniform", tf.nn.uniform_candidate_sampler,
             lambda c, r: np.full(np.shape(c), 1.0 / r)),
            ("fixed_unigram", fixed_unigram, unigram_p)]


@pytest.mark.parametrize("name,sampler,prob", SAMPLERS, ids=[s[0] for s in SAMPLERS])
def test_sampler_without_unique_follows_its_distribution(name, sampler, prob):
    range_max, n = 12, 60000
    labels = np.array([[0], [5], [11]], np.int64)
    sampled, true_count, sampled_count = sampler(labels, 1, n, False, range_max, seed=3)
    with tf.Session() as sess:
        s, tc, sc = sess.run([sampled, true_count, sampled_count])
    assert s.dtype == np.int64 and s.min() >= 0 and s.max() < range_max
    p = prob(np.arange(range_max), range_max)
    np.testing.assert_allclose(tc, prob(labels, range_max) * n, rtol=1e-5)
    np.testing.assert_allclose(sc, prob(s, range_max) * n, rtol=1e-5)
    counts = np.bincount(s, minlength=range_max)
    # Each class count is within 5 standard deviations of its binomial mean (0 for p = 0).
    assert np.all(np.abs(counts - n * p) <= 5 * np.sqrt(n * p * (1 - p))), (counts, n * p)


@pytest.mark.parametrize("name,sampler,prob", SAMPLERS, ids=[s[0] for s in SAMPLERS])
def test_unique_sampler_draws_distinct_classes_and_counts_its_tries(name, sampler, prob):
    range_max, num_sampled = 12, 6
    labels = np.array([[1, 9]], np.int64)
    sampled, true_count, sampled_count = sampler(labels, 2, num_sampled, True, range_max,
                                                 seed=11)
    with tf.Session() as sess:
        s, tc, sc = sess.run([sampled, true_count, sampled_count])
    assert len(set(s.tolist())) == num_sampled
    # expected count = 1 - (1 - p)^num_tries for one num_tries >= num_sampled shared by all.
    p = prob(s, range_max)
    tries = np.log1p(-sc.astype(np.float64)) / np.log1p(-p)
    num_tries = round(float(tries[0]))
    assert num_tries >= num_sampled
    np.testing.assert_allclose(tries, num_tries, rtol=1e-3)
    np.testing.assert_allclose(tc, -np.expm1(num_tries * np.log1p(-prob(labels, range_max))),
                               rtol=1e-5)


def test_unique_sampler_prefers_frequent_classes():
    # Over many runs, a log-uniform unique sampler includes class 0 more often than class 40.
    sampled = tf.nn.log_uniform_candidate_sampler([[0]], 1, 5, True, 50, seed=5)[0]
    with tf.Session() as sess:
        runs = [sess.run(sampled) for _ in range(300)]
    first = sum(0 in r for r in runs)
    late = sum(40 in r for r in runs)
    assert first > 3 * max(late, 1)


def test_samplers_are_seeded_like_other_random_ops():
    def draw():
        with tf.Graph().as_default():
            tf.set_random_seed(1)
            s = tf.nn.uniform_candidate_sampler([[0]], 1, 8, True, 100)[0]
            with tf.Session() as sess:
                return sess.run(s).tolist(), sess.run(s).tolist()
    first, second = draw()
    assert draw() == (first, second)
    assert first != second  # a new draw at every run


def test_fixed_unigram_sampler_reads_a_vocab_file(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("the,9\nof,0\ncat,1\n")
    sampled = tf.nn.fixed_unigram_candidate_sampler([[0]], 1, 400, False, 3,
                                                    vocab_file=str(vocab), seed=4)[0]
    with tf.Session() as sess:
        counts = np.bincount(sess.run(sampled), minlength=3)
    assert counts[1] == 0 and counts[0] > 3 * counts[2] > 0
    with pytest.raises(ValueError, match="range_max 4 must be"):
        tf.nn.fixed_unigram_candidate_sampler([[0]], 1, 2, False, 4, vocab_file=str(vocab))
    with pytest.raises(ValueError, match="exactly one of vocab_file and unigrams"):
        tf.nn.fixed_unigram_candidate_sampler([[0]], 1, 2, False, 3)
    unique = tf.nn.fixed_unigram_candidate_sampler([[0]], 1, 3, True, 3, unigrams=[1, 0, 2])[0]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="cannot sample 3 distinct"):
            sess.run(unique)


def test_sampler_errors():
    with pytest.raises(ValueError, match="range is too small"):
        tf.nn.uniform_candidate_sampler([[0]], 1, 8, True, 5)
    with pytest.raises(ValueError, match="num_true"):
        tf.nn.uniform_candidate_sampler([[0, 1]], 1, 2, False, 5)
    labels = tf.placeholder(tf.int64, [None, 1])
    sampled = tf.nn.log_uniform_candidate_sampler(labels, 1, 2, False, 5)[0]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="true class 5 is not in"):
            sess.run(sampled, {labels: [[5]]})


def test_word2vec_training_touches_only_looked_up_and_sampled_rows(rng):
    vocab, dim, batch, num_sampled = 40, 6, 8, 5
    tf.set_random_seed(2)
    init = rng.uniform(-1, 1, (vocab, dim)).astype(np.float32)
    embeddings = tf.Variable(init)
    nce_w = tf.Variable(rng.standard_normal((vocab, dim)).astype(np.float32) * 0.1)
    nce_b = tf.Variable(np.zeros(vocab, np.float32))
    centers = tf.placeholder(tf.int32, [batch])
    contexts = tf.placeholder(tf.int64, [batch, 1])
    sampled_values = tf.nn.log_uniform_candidate_sampler(contexts, 1, num_sampled, True, vocab)
    loss = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, contexts,
                                         tf.nn.embedding_lookup(embeddings, centers),
                                         num_sampled, vocab, sampled_values=sampled_values))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    c = rng.integers(0, vocab // 2, batch)  # ids of the upper half are never looked up
    ctx = ((c + 1) % (vocab // 2)).reshape(-1, 1).astype(np.int64)
    feed = {centers: c, contexts: ctx}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, feed)
        w_before = sess.run(nce_w)
        _, sampled = sess.run([train, sampled_values[0]], feed)
        touched = set(ctx.ravel().tolist()) | set(sampled.tolist())
        untouched = [i for i in range(vocab) if i not in touched]
        np.testing.assert_array_equal(sess.run(nce_w)[untouched], w_before[untouched])
        for _ in range(40):
            sess.run(train, feed)
        assert sess.run(loss, feed) < 0.5 * first
        after = sess.run(embeddings)
    unused = sorted(set(range(vocab)) - set(c.tolist()))
    np.testing.assert_array_equal(after[unused], init[unused])
