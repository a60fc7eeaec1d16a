"""MatMul and BatchMatMulV2 against NumPy: one line of OPS per case (see op_testing.py).
Sizes cover the plain-loop path (tiny), the packed path with edge tiles, several k slabs and
row blocks, and the few-rows path."""
import numpy as np
import pytest

import tensorlib as tf
from op_testing import check_op, run_with_threads, runnable_gemm_kernels
from tensorlib import _config


def _t(x):
    return np.swapaxes(x, -1, -2)


OPS = [
    ("matmul", ["MatMul"], tf.matmul, np.matmul, [(5, 7), (7, 3)], np.float32, {}),
    ("matmul_large", ["MatMul"], tf.matmul, np.matmul, [(130, 257), (257, 65)], np.float64,
     {}),
    ("matmul_ta", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True),
     lambda a, b: a.T @ b, [(7, 5), (7, 3)], np.float32, {}),
    ("matmul_tb", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     lambda a, b: a @ b.T, [(5, 7), (3, 7)], np.float64, {}),
    ("matmul_edge_tiles", ["MatMul"], tf.matmul, np.matmul, [(67, 131), (131, 45)],
     np.float32, {}),
    ("matmul_ta_tb_blocked", ["MatMul"],
     lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
     lambda a, b: a.T @ b.T, [(300, 157), (83, 300)], np.float64, {}),
    ("matmul_ta_blocked", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True),
     lambda a, b: a.T @ b, [(90, 161), (90, 37)], np.float32, {}),
    ("matmul_tb_blocked", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     lambda a, b: a @ b.T, [(161, 90), (37, 90)], np.float32, {}),
    ("matmul_many_slabs_and_blocks", ["MatMul"], tf.matmul, np.matmul,
     [(310, 600), (600, 70)], np.float64, {}),
    ("matmul_one_block_of_rows_wide", ["MatMul"], tf.matmul, np.matmul,
     [(50, 300), (300, 700)], np.float64, {}),
    ("matmul_few_rows", ["MatMul"], tf.matmul, np.matmul, [(3, 150), (150, 300)], np.float32,
     {}),
    ("matmul_one_column", ["MatMul"], tf.matmul, np.matmul, [(200, 300), (300, 1)],
     np.float64, {}),
    ("matmul_k0", ["MatMul"], tf.matmul, np.matmul, [(4, 0), (0, 3)], np.float32, {}),
    ("matmul_empty", ["MatMul"], tf.matmul, np.matmul, [(0, 5), (5, 3)], np.float64, {}),
    ("matmul_int32", ["MatMul"], tf.matmul, np.matmul, [(40, 50), (50, 30)], np.int32, {}),
    ("matmul_int64_tb", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     lambda a, b: a @ b.T, [(9, 6), (4, 6)], np.int64, {}),
    ("matmul_batched", ["BatchMatMulV2"], tf.matmul, np.matmul, [(2, 1, 4, 5), (3, 5, 2)],
     np.float32, {}),
    ("matmul_batched_large", ["BatchMatMulV2"], tf.matmul, np.matmul,
     [(3, 70, 130), (1, 130, 50)], np.float64, {}),
    ("matmul_batched_adjoint", ["BatchMatMulV2"],
     lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True),
     lambda a, b: _t(a) @ _t(b), [(2, 40, 30), (2, 20, 40)], np.float32, {}),
    ("matmul_batched_k0", ["BatchMatMulV2"], tf.matmul, np.matmul, [(2, 3, 0), (2, 0, 4)],
     np.float32, {}),
    ("matmul_batched_empty_batch", ["BatchMatMulV2"], tf.matmul, np.matmul,
     [(0, 3, 4), (4, 2)], np.float64, {}),
    ("matmul_batched_int", ["BatchMatMulV2"], tf.matmul, np.matmul, [(4, 3, 5), (5, 2)],
     np.int64, {}),
]

# Gradients against finite differences (tests/test_gradients.py runs these):
# (id, op types covered, fn of float64 tensors, input shapes, options).
GRADS = [
    ("matmul", ["MatMul"], tf.matmul, [(2, 3), (3, 4)], {}),
    ("matmul_ta", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True),
     [(3, 2), (3, 4)], {}),
    ("matmul_tb", ["MatMul"], lambda a, b: tf.matmul(a, b, transpose_b=True),
     [(2, 3), (4, 3)], {}),
    ("matmul_ta_tb", ["MatMul"],
     lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True), [(3, 2), (4, 3)], {}),
    ("matmul_size1", ["MatMul"], tf.matmul, [(1, 3), (3, 1)], {}),
    ("batch_matmul", ["BatchMatMulV2"], tf.matmul, [(2, 2, 3), (2, 3, 2)], {}),
    ("batch_matmul_broadcast", ["BatchMatMulV2"], tf.matmul, [(2, 1, 2, 3), (3, 3, 2)], {}),
    ("batch_matmul_rank2_operand", ["BatchMatMulV2"], tf.matmul, [(2, 3), (2, 3, 2)], {}),
    ("batch_matmul_adj_x", ["BatchMatMulV2"], lambda a, b: tf.matmul(a, b, adjoint_a=True),
     [(2, 3, 2), (1, 3, 2)], {}),
    ("batch_matmul_adj_y", ["BatchMatMulV2"], lambda a, b: tf.matmul(a, b, adjoint_b=True),
     [(1, 2, 3), (2, 4, 3)], {}),
    ("batch_matmul_adj_both", ["BatchMatMulV2"],
     lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True), [(2, 3, 2), (2, 2, 3)],
     {}),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
@pytest.mark.parametrize("feed", [False, True], ids=["const", "fed"])
def test_op_matches_numpy(case, feed, rng):
    check_op(case, feed, rng)


def test_matmul_inner_dims_must_match():
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 2]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_gemm_micro_kernel_matches_numpy(gemm_kernel, dtype, rng):
    assert _config.gemm_kernel() == gemm_kernel
    # Sizes around every tile (4, 6, 8, 12 rows; 8, 16, 24, 32, 48 columns; on AVX-512 the
    # 12x32 tile for widths such as 17 and 64, 8x48 for the others), several k slabs (192 and
    # 256 deep at most), several blocks of rows, transposes; last slivers of C a whole number
    # of vectors narrower than the tile (80 and 112 columns in 8x48 tiles, 88 in AVX2's 6x16,
    # 44 in its 6x8 of doubles), stored straight into C; last tiles of rows short of the
    # tile's (50, 23 rows: parts of 8, 4, 2 and 1 rows) under whole slivers.
    for m, n, k in [(13, 33, 300), (25, 17, 513), (150, 70, 40), (7, 100, 9), (17, 97, 385),
                    (203, 49, 200), (203, 64, 300), (48, 80, 300), (24, 112, 200),
                    (48, 88, 70), (24, 44, 50), (50, 96, 300), (23, 64, 200), (23, 48, 70)]:
        for ta, tb in [(False, False), (True, False), (False, True), (True, True)]:
            a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
            b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
            with tf.Session() as sess:
                got = sess.run(tf.matmul(a, b, transpose_a=ta, transpose_b=tb))
            want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b)
            tol = 1e-4 if dtype == np.float32 else 1e-11
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.sqrt(k))
    x = rng.standard_normal((2, 9, 9, 3)).astype(dtype)
    w = rng.standard_normal((3, 3, 3, 20)).astype(dtype)
    with tf.Session() as sess:
        got = sess.run(tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID"))
    ref = np.zeros((2, 7, 7, 20))
    for i in range(3):
        for j in range(3):
            ref += np.einsum("nhwc,cf->nhwf", x[:, i:i + 7, j:j + 7, :].astype(np.float64), w[i, j])
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avx512_tile_gives_the_bits_of_its_avx2_layout(dtype, rng):
    # The AVX-512 micro-kernel and its layout in pairs of AVX2 vectors block the product alike
    # and sum in the same order: on a CPU with AVX-512, their products are the same bits (so
    # the blocking tested on AVX2 machines is the one AVX-512 machines run).
    if runnable_gemm_kernels(("avx512",)) != ["avx512"]:
        pytest.skip("this CPU has no AVX-512")
    results = []
    for name in ("avx512", "avx512-layout"):
        _config.set_gemm_kernel(name)
        try:
            got = []
            for m, n, k in [(8, 48, 192), (17, 97, 385), (203, 49, 200), (64, 100, 700),
                            (30, 64, 300), (203, 20, 600), (48, 80, 300), (24, 112, 200),
                            (50, 96, 300), (23, 64, 200)]:
                a = np.random.default_rng(m).standard_normal((m, k)).astype(dtype)
                b = np.random.default_rng(n).standard_normal((k, n)).astype(dtype)
                with tf.Session() as sess:
                    got.append(sess.run(tf.matmul(a, b)))
            results.append(got)
        finally:
            _config.set_gemm_kernel("auto")
    for wide, layout in zip(*results):
        np.testing.assert_array_equal(wide, layout)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_few_rows_give_the_same_bits_in_avx2_and_avx512_vectors(dtype):
    # Fewer than 6 rows, B read in place: each element of C is the same chain of FMAs over k
    # whatever the vectors' width (tiles as wide, the columns past whole vectors in a last
    # vector under a mask), so both ISAs' kernels give the same bits. A one-row product's last
    # narrow columns (up to 64 or 128 bytes: n = 1, 7, 12, 17, 30) are two or four partial
    # sums over k, the same in both; k = 7 leaves steps past the last whole group of four.
    if runnable_gemm_kernels(("avx2", "avx512")) != ["avx2", "avx512"]:
        pytest.skip("this CPU has no AVX-512")
    rng = np.random.default_rng(5)
    cases = [(m, n, k) for m in range(1, 6) for n in (1, 7, 12, 17, 30, 40, 256, 300)
             for k in (5, 7, 784)]
    inputs = [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype))
              for m, n, k in cases]
    results = []
    for name in ("avx2", "avx512"):
        _config.set_gemm_kernel(name)
        try:
            with tf.Session() as sess:
                results.append(sess.run([tf.matmul(a, b) for a, b in inputs]))
        finally:
            _config.set_gemm_kernel("auto")
    for narrow, wide in zip(*results):
        np.testing.assert_array_equal(narrow, wide)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_few_rows_matmul_matches_numpy(gemm_kernel, dtype, rng):
    # Fewer than 6 rows of A: B is read in place by tiles of 1-5 rows and 1-8 vectors of
    # columns; the columns left over by whole vectors (n = 1, 7, 17, ...) are a last vector
    # loaded and stored under a mask.
    ns, ks = (1, 7, 8, 17, 33, 256, 300), (1, 5, 784)
    bs = {(k, n): rng.standard_normal((k, n)).astype(dtype) for k in ks for n in ns}
    cases, outs = [], []
    for m in range(1, 6):
        for k in ks:
            for ta in (False, True):
                a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
                for n in ns:
                    cases.append(((a.T if ta else a).astype(np.float64) @ bs[k, n], k))
                    outs.append(tf.matmul(a, bs[k, n], transpose_a=ta))
    with tf.Session() as sess:
        got = sess.run(outs)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for (want, k), g in zip(cases, got):
        np.testing.assert_allclose(g, want, rtol=tol, atol=tol * np.sqrt(k))


def _constant_and_fed_weights(dtype, rng):
    """MatMul (both layouts of B) and Conv2D with constant weights, and the same with the weights
    fed: (input placeholders, [(constant-weight output, fed-weight output)], feeds but x). The
    wide weights make a product of few rows pack its fed B in more blocks than threads."""
    x = tf.placeholder(dtype, [None, 300])
    images = tf.placeholder(dtype, [None, 9, 9, 3])
    w = rng.standard_normal((300, 70)).astype(dtype)
    wide = rng.standard_normal((300, 2000)).astype(dtype)
    f = rng.standard_normal((5, 5, 3, 20)).astype(dtype)
    w_fed, wt_fed, wide_fed, f_fed = (tf.placeholder(dtype, v.shape) for v in (w, w.T, wide, f))
    pairs = [(tf.matmul(x, tf.constant(w)), tf.matmul(x, w_fed)),
             (tf.matmul(x, tf.constant(w.T), transpose_b=True),
              tf.matmul(x, wt_fed, transpose_b=True)),
             (tf.matmul(x, tf.constant(wide)), tf.matmul(x, wide_fed)),
             (tf.nn.conv2d(images, tf.constant(f), [1, 1, 1, 1], "SAME"),
              tf.nn.conv2d(images, f_fed, [1, 1, 1, 1], "SAME"))]
    return x, images, pairs, {w_fed: w, wt_fed: w.T, wide_fed: wide, f_fed: f}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_weights_packed_by_prepare_give_the_bits_of_fed_weights(gemm_kernel, dtype,
                                                                          rng):
    # MatMul and Conv2D pack a constant B once, when the plan is built; the products must be
    # gemm's with B as fed, for row counts on both sides of the packed path (6 rows) and of one
    # block of rows (500: blocks of rows in parallel, slab after slab). A fed B with contiguous
    # columns under a whole first tile (8 rows and more in one block) is packed by that tile as
    # it multiplies, its narrow last sliver (70 columns) apart; the AVX2 tile's first tile
    # packs up to eight whole slivers a pass (2000 columns: passes of eight and of fewer).
    x, images, pairs, feeds = _constant_and_fed_weights(dtype, rng)
    with tf.Session() as sess:
        for m in (1, 5, 6, 8, 64, 150, 500):
            feeds.update({x: rng.standard_normal((m, 300)).astype(dtype),
                          images: rng.standard_normal((m % 4 + 1, 9, 9, 3)).astype(dtype)})
            for got, want in sess.run(pairs, feeds):
                np.testing.assert_array_equal(got, want)


def test_few_rows_products_give_the_same_bits_on_any_number_of_threads(gemm_kernel, rng):
    # A product of at most one block of rows splits its columns into one group per thread (cut
    # between vectors of the tile, so that a group may end and the next begin inside a sliver)
    # and packs each group's B a block at a time, a narrow last sliver of a transposed B through
    # the same transposes: how the columns are cut must not change how any element is summed.
    # k = 900 makes three slabs; 2000 columns make several blocks a group. One row by 970
    # columns: 15 whole tiles shared out, and 10 columns summed in four partial sums.
    a = rng.standard_normal((40, 900)).astype(np.float32)
    b = rng.standard_normal((900, 2000)).astype(np.float32)
    x, y, yt = (tf.placeholder(tf.float32, v.shape) for v in (a, b, b.T))
    outs = [tf.matmul(x, y), tf.matmul(x, yt, transpose_b=True), tf.matmul(x[:7], y[:, :100]),
            tf.matmul(x[:1], y[:, :970])]
    feeds = {x: a, y: b, yt: np.ascontiguousarray(b.T)}
    one, two, three = run_with_threads(outs, threads=(1, 2, 3), feed_dict=feeds)
    for got_one, got_two, got_three in zip(one, two, three):
        np.testing.assert_array_equal(got_two, got_one)
        np.testing.assert_array_equal(got_three, got_one)
    np.testing.assert_allclose(one[0], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(one[1], one[0])
    np.testing.assert_allclose(one[2], a[:7].astype(np.float64) @ b[:, :100], rtol=1e-4,
                               atol=1e-3)
    np.testing.assert_allclose(one[3], a[:1].astype(np.float64) @ b[:, :970], rtol=1e-4,
                               atol=1e-3)


@pytest.mark.parametrize("m, k, n", [(1001, 1000, 700), (400, 700, 300), (300, 40, 4100)])
def test_products_of_many_row_blocks_give_the_same_bits_on_any_number_of_threads(gemm_kernel,
                                                                                m, k, n, rng):
    # More rows than one block: the rows are cut into blocks of whole micro-tiles, as many as a
    # multiple of the threads (so cut differently for 1, 2 and 3 threads), the last short of
    # rows and of columns, and k = 700-1000 makes slabs: no element may be summed otherwise.
    # With constant weights (packed when the plan is built) the same bits again. At most 512
    # rows, each thread packs its own panel of B (400 rows; 300 rows with k = 40 and two
    # panels of columns), where 1001 rows share one.
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    x, y = tf.placeholder(tf.float32, a.shape), tf.placeholder(tf.float32, b.shape)
    outs = [tf.matmul(x, y), tf.matmul(x, tf.constant(b))]
    runs = run_with_threads(outs, threads=(1, 2, 3), feed_dict={x: a, y: b})
    for fed, constant in runs:
        np.testing.assert_array_equal(fed, runs[0][0])
        np.testing.assert_array_equal(constant, runs[0][0])
    np.testing.assert_allclose(runs[0][0], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("m, k, n", [(64, 1030, 3000), (37, 1024, 1031), (20, 1024, 1030),
                                     (16, 1100, 1024), (48, 512, 515), (65, 1024, 1024),
                                     (15, 1024, 1024), (64, 511, 1024)])
def test_products_with_few_rows_and_a_transposed_b_give_the_bits_of_b_as_it_lies(gemm_kernel, m,
                                                                                k, n, rng):
    # A float op(B) = W^T (a dense layer's input gradient) of 512 x 512 or more under op(A) of
    # 16-64 rows is turned around: A packed transposed in slivers of 16 or 64 rows (the last
    # one short: 37, 20, 48; tiles of 1 to 4 vectors), six columns of C a tile broadcast from
    # W's rows (the last tile short: 1031, 1030, 1024, 515), slab after slab of k (sums held
    # between slabs, two to five slabs), A transposed too; 65 and 15 rows and k = 511 stay
    # blocked. Each element must be summed as when B lies as it is used (packed by the blocked
    # product), on any number of threads, fed or constant.
    a = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    x, xt, y, yt = (tf.placeholder(tf.float32, v.shape) for v in (a, a.T, w.T, w))
    outs = [tf.matmul(x, y), tf.matmul(x, yt, transpose_b=True),
            tf.matmul(xt, yt, transpose_a=True, transpose_b=True),
            tf.matmul(x, tf.constant(w), transpose_b=True)]
    feeds = {x: a, xt: np.ascontiguousarray(a.T), y: np.ascontiguousarray(w.T), yt: w}
    runs = run_with_threads(outs, threads=(1, 2, 3), feed_dict=feeds)
    for got in runs:
        for out in got:
            np.testing.assert_array_equal(out, runs[0][0])
    np.testing.assert_allclose(runs[0][1], a.astype(np.float64) @ w.T.astype(np.float64),
                               rtol=1e-4, atol=1e-4 * np.sqrt(k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_products_read_a_where_it_lies(gemm_kernel, dtype, rng):
    # Products of few slivers of B (n up to 8 of the widest tile) read A's rows in place rather
    # than packing them: blocks of rows and few rows, last tiles short of rows (1001, 150, 53)
    # and of whole vectors (70, 10 columns), slabs of k (600), fed and constant weights, a
    # transposed A (packed still), on 1, 2 and 3 threads: NumPy's values, the same bits
    # whatever the threads and wherever the weights come from.
    cases = [(1001, 600, 70), (1001, 37, 130), (150, 600, 70), (53, 300, 10), (200, 64, 300)]
    for m, k, n in cases:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        x, xt, y = (tf.placeholder(dtype, v.shape) for v in (a, a.T, b))
        outs = [tf.matmul(x, y), tf.matmul(x, tf.constant(b)), tf.matmul(xt, y, transpose_a=True)]
        feeds = {x: a, xt: np.ascontiguousarray(a.T), y: b}
        runs = run_with_threads(outs, threads=(1, 2, 3), feed_dict=feeds)
        for fed, constant, transposed in runs:
            np.testing.assert_array_equal(fed, runs[0][0])
            np.testing.assert_array_equal(constant, runs[0][0])
            np.testing.assert_array_equal(transposed, runs[0][0])
        tol = 1e-4 if dtype == np.float32 else 1e-11
        np.testing.assert_allclose(runs[0][0], a.astype(np.float64) @ b, rtol=tol,
                                   atol=tol * np.sqrt(k))


def test_constant_weights_follow_a_change_of_gemm_micro_kernel(rng):
    # Packed for the micro-kernel of the time the plan was built, the weights are not used by
    # another: the plan's products are then those of the micro-kernel chosen now.
    x, images, pairs, feeds = _constant_and_fed_weights(np.float32, rng)
    feeds.update({x: rng.standard_normal((64, 300)).astype(np.float32),
                  images: rng.standard_normal((3, 9, 9, 3)).astype(np.float32)})
    with tf.Session() as sess:
        sess.run(pairs, feeds)
        try:
            _config.set_gemm_kernel("generic")
            for got, want in sess.run(pairs, feeds):
                np.testing.assert_array_equal(got, want)
        finally:
            _config.set_gemm_kernel("auto")


def test_unknown_gemm_kernel_is_rejected():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown GEMM micro-kernel"):
        _config.set_gemm_kernel("avx1024")


def test_matmul_gradients_with_unknown_dims_sum_over_broadcast_batch_dims(rng):
    av, bv = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 5, 2))
    a = tf.placeholder(tf.float64, [None, None, 4, 5])
    b = tf.placeholder(tf.float64, [None, 5, None])
    ga, gb = tf.gradients(tf.matmul(a, b), [a, b])
    assert ga.shape.as_list() == [None, None, 4, 5] and gb.shape.as_list() == [None, 5, None]
    with tf.Session() as sess:
        ga, gb = sess.run([ga, gb], {a: av, b: bv})
    ones = np.ones((2, 3, 4, 2))
    np.testing.assert_allclose(ga, ones @ _t(bv), rtol=1e-12)
    np.testing.assert_allclose(gb, (_t(av) @ ones).sum(0), rtol=1e-12)
