"""tf.train optimizers, their fused update ops, the global step and learning-rate schedules,
checked against NumPy implementations of TF1's documented update formulas."""
import pathlib

import numpy as np
import pytest

import tensorlib as tf
from tensorlib.train import training_ops

SHAPES = [(3, 4), ()]  # one matrix and one scalar variable per optimizer
STEPS = 4


# ---- NumPy references: step(var, slots, grad, t) updates var and slots in place -------------

def sgd_ref(lr):
    def step(var, slots, g, t):
        var -= lr * g
    return step, {}


def momentum_ref(lr, mu, nesterov=False):
    def step(var, slots, g, t):
        a = slots["momentum"]
        a[...] = mu * a + g
        var -= lr * g + lr * mu * a if nesterov else lr * a
    return step, {"momentum": 0.0}


def adam_ref(lr, b1, b2, eps, nesterov=False):
    # TF1 keeps beta1^t and beta2^t in float32 variables, cast to the variable's dtype.
    def step(var, slots, g, t):
        b1p = np.float32(1.0)
        b2p = np.float32(1.0)
        for _ in range(t + 1):
            b1p, b2p = np.float32(b1p * np.float32(b1)), np.float32(b2p * np.float32(b2))
        dtype = var.dtype.type
        lr_t = lr * np.sqrt(1 - dtype(b2p)) / (1 - dtype(b1p))
        m, v = slots["m"], slots["v"]
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        m_hat = b1 * m + (1 - b1) * g if nesterov else m
        var -= lr_t * m_hat / (np.sqrt(v) + eps)
    return step, {"m": 0.0, "v": 0.0}


def rmsprop_ref(lr, rho, mu, eps, centered=False):
    def step(var, slots, g, t):
        ms, mom = slots["rms"], slots["momentum"]
        ms[...] = rho * ms + (1 - rho) * g * g
        denom = ms + eps
        if centered:
            mg = slots["mg"]
            mg[...] = rho * mg + (1 - rho) * g
            denom = ms - mg * mg + eps
        mom[...] = mu * mom + lr * g / np.sqrt(denom)
        var -= mom
    slots = {"rms": 1.0, "momentum": 0.0}
    if centered:
        slots["mg"] = 0.0
    return step, slots


def adagrad_ref(lr, init):
    def step(var, slots, g, t):
        a = slots["accumulator"]
        a += g * g
        var -= lr * g / np.sqrt(a)
    return step, {"accumulator": init}


def adadelta_ref(lr, rho, eps):
    def step(var, slots, g, t):
        accum, accum_update = slots["accum"], slots["accum_update"]
        accum[...] = rho * accum + (1 - rho) * g * g
        update = np.sqrt(accum_update + eps) / np.sqrt(accum + eps) * g
        accum_update[...] = rho * accum_update + (1 - rho) * update * update
        var -= lr * update
    return step, {"accum": 0.0, "accum_update": 0.0}


def ftrl_ref(lr, power, init, l1, l2, shrinkage=0.0):
    def step(var, slots, g, t):
        accum, linear = slots["accum"], slots["linear"]
        new_accum = accum + g * g
        linear += (g + 2 * shrinkage * var
                   - (new_accum ** -power - accum ** -power) / lr * var)
        quadratic = new_accum ** -power / lr + 2 * l2
        var[...] = np.where(np.abs(linear) > l1, (l1 * np.sign(linear) - linear) / quadratic, 0)
        accum[...] = new_accum
    return step, {"accum": init, "linear": 0.0}


def proximal(prox, step, l1, l2):
    """TF1's proximal step: soft-threshold by step * l1 (when l1 > 0), shrink by step * l2."""
    if l1 > 0:
        prox = np.sign(prox) * np.maximum(np.abs(prox) - step * l1, 0)
    return prox / (1 + step * l2)


def proximal_sgd_ref(lr, l1, l2):
    def step(var, slots, g, t):
        var[...] = proximal(var - lr * g, lr, l1, l2)
    return step, {}


def proximal_adagrad_ref(lr, init, l1, l2):
    def step(var, slots, g, t):
        a = slots["accumulator"]
        a += g * g
        rate = lr / np.sqrt(a)
        var[...] = proximal(var - rate * g, rate, l1, l2)
    return step, {"accumulator": init}


def adagrad_da_ref(lr, init, l1, l2):
    # Without a global step that advances, every update counts as step t = 1.
    def step(var, slots, g, t):
        ga, gg = slots["gradient_accumulator"], slots["gradient_squared_accumulator"]
        ga += g
        gg += g * g
        shrunk = np.sign(ga) * np.maximum(np.abs(ga) - l1, 0) if l1 > 0 else ga
        var[...] = -lr * shrunk / (np.sqrt(gg) + l2 * lr)
    return step, {"gradient_accumulator": 0.0, "gradient_squared_accumulator": init}


OPTIMIZERS = [
    ("sgd", lambda: tf.train.GradientDescentOptimizer(0.1), sgd_ref(0.1)),
    ("momentum", lambda: tf.train.MomentumOptimizer(0.1, 0.9), momentum_ref(0.1, 0.9)),
    ("nesterov", lambda: tf.train.MomentumOptimizer(0.05, 0.8, use_nesterov=True),
     momentum_ref(0.05, 0.8, nesterov=True)),
    ("adam", lambda: tf.train.AdamOptimizer(0.01), adam_ref(0.01, 0.9, 0.999, 1e-8)),
    ("adam_params", lambda: tf.train.AdamOptimizer(0.1, beta1=0.5, beta2=0.75, epsilon=0.1),
     adam_ref(0.1, 0.5, 0.75, 0.1)),
    ("rmsprop", lambda: tf.train.RMSPropOptimizer(0.01), rmsprop_ref(0.01, 0.9, 0.0, 1e-10)),
    ("rmsprop_momentum", lambda: tf.train.RMSPropOptimizer(0.02, decay=0.8, momentum=0.5,
                                                             epsilon=1e-3),
     rmsprop_ref(0.02, 0.8, 0.5, 1e-3)),
    ("rmsprop_centered", lambda: tf.train.RMSPropOptimizer(0.02, momentum=0.5, epsilon=0.1,
                                                             centered=True),
     rmsprop_ref(0.02, 0.9, 0.5, 0.1, centered=True)),
    ("adagrad", lambda: tf.train.AdagradOptimizer(0.1), adagrad_ref(0.1, 0.1)),
    ("adagrad_init", lambda: tf.train.AdagradOptimizer(0.3, initial_accumulator_value=2.0),
     adagrad_ref(0.3, 2.0)),
    ("adadelta", lambda: tf.train.AdadeltaOptimizer(), adadelta_ref(0.001, 0.95, 1e-8)),
    ("adadelta_params", lambda: tf.train.AdadeltaOptimizer(1.0, rho=0.5, epsilon=1e-3),
     adadelta_ref(1.0, 0.5, 1e-3)),
    ("ftrl", lambda: tf.train.FtrlOptimizer(0.3), ftrl_ref(0.3, -0.5, 0.1, 0.0, 0.0)),
    ("ftrl_l1_l2", lambda: tf.train.FtrlOptimizer(0.3, initial_accumulator_value=0.5,
                                                  l1_regularization_strength=0.2,
                                                  l2_regularization_strength=0.1),
     ftrl_ref(0.3, -0.5, 0.5, 0.2, 0.1)),
    ("ftrl_power_shrinkage", lambda: tf.train.FtrlOptimizer(
        0.3, learning_rate_power=-0.7, l1_regularization_strength=0.1,
        l2_shrinkage_regularization_strength=0.2),
     ftrl_ref(0.3, -0.7, 0.1, 0.1, 0.0, shrinkage=0.2)),
    ("proximal_sgd", lambda: tf.train.ProximalGradientDescentOptimizer(0.1),
     proximal_sgd_ref(0.1, 0.0, 0.0)),
    ("proximal_sgd_l1_l2", lambda: tf.train.ProximalGradientDescentOptimizer(0.1, 0.3, 0.2),
     proximal_sgd_ref(0.1, 0.3, 0.2)),
    ("proximal_adagrad", lambda: tf.train.ProximalAdagradOptimizer(0.3),
     proximal_adagrad_ref(0.3, 0.1, 0.0, 0.0)),
    ("proximal_adagrad_l1_l2", lambda: tf.train.ProximalAdagradOptimizer(
        0.3, initial_accumulator_value=0.2, l1_regularization_strength=0.3,
        l2_regularization_strength=0.2),
     proximal_adagrad_ref(0.3, 0.2, 0.3, 0.2)),
    ("adagrad_da", lambda: tf.train.AdagradDAOptimizer(0.3, tf.train.get_or_create_global_step()),
     adagrad_da_ref(0.3, 0.1, 0.0, 0.0)),
    ("adagrad_da_l1_l2", lambda: tf.train.AdagradDAOptimizer(
        0.3, tf.train.get_or_create_global_step(), initial_gradient_squared_accumulator_value=0.5,
        l1_regularization_strength=0.1, l2_regularization_strength=0.2),
     adagrad_da_ref(0.3, 0.5, 0.1, 0.2)),
]


def run_reference(ref, inits, grads):
    """The variables after each step of the NumPy reference."""
    step, slot_inits = ref
    dtype = inits[0].dtype.type
    var = [x.copy() for x in inits]
    slots = [{k: np.full(x.shape, dtype(v), x.dtype) for k, v in slot_inits.items()}
             for x in inits]
    history = []
    for t, gs in enumerate(grads):
        for x, s, g in zip(var, slots, gs):
            step(x, s, g, t)
        history.append([x.copy() for x in var])
    return history


def run_optimizer(make, inits, grads, dtype):
    """The variables after each step of the optimizer, fed the same gradients."""
    vs = [tf.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    gs = [tf.placeholder(dtype, x.shape) for x in inits]
    train = make().apply_gradients(list(zip(gs, vs)))
    history = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step_grads in grads:
            sess.run(train, dict(zip(gs, step_grads)))
            history.append(sess.run(vs))
    return history


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,make,ref", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_matches_numpy_reference(name, make, ref, dtype, rng):
    inits = [np.asarray(rng.standard_normal(s), dtype) for s in SHAPES]
    grads = [[np.asarray(rng.standard_normal(s), dtype) for s in SHAPES] for _ in range(STEPS)]
    got = run_optimizer(make, inits, grads, dtype)
    want = run_reference(ref, inits, grads)
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    for g_step, w_step in zip(got, want):
        for g, w in zip(g_step, w_step):
            assert g.dtype == dtype
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def test_large_variable_is_updated_in_parallel_chunks(rng):
    n = 100_003  # several tasks of the kernel's grain, and a ragged tail
    init = rng.standard_normal(n).astype(np.float32)
    grads = [[rng.standard_normal(n).astype(np.float32)] for _ in range(2)]
    got = run_optimizer(lambda: tf.train.AdamOptimizer(0.01), [init], grads, np.float32)
    want = run_reference(adam_ref(0.01, 0.9, 0.999, 1e-8), [init], grads)
    np.testing.assert_allclose(got[-1][0], want[-1][0], rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_op_with_nesterov(dtype, rng):
    x0 = rng.standard_normal((2, 5)).astype(dtype)
    var, m, v = tf.Variable(x0), tf.Variable(np.zeros_like(x0)), tf.Variable(np.zeros_like(x0))
    grad = tf.placeholder(dtype, x0.shape)
    b1p, b2p = tf.placeholder(dtype, []), tf.placeholder(dtype, [])
    update = training_ops.apply_adam(var, m, v, b1p, b2p, 0.01, 0.9, 0.999, 1e-8, grad,
                                     use_nesterov=True)
    assert update.shape.as_list() == [2, 5]
    want_var, want_m, want_v = x0.copy(), np.zeros_like(x0), np.zeros_like(x0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(1, 4):
            g = rng.standard_normal(x0.shape).astype(dtype)
            out = sess.run(update, {grad: g, b1p: 0.9 ** t, b2p: 0.999 ** t})
            lr_t = 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            want_m = 0.9 * want_m + 0.1 * g
            want_v = 0.999 * want_v + 0.001 * g * g
            want_var -= lr_t * (0.9 * want_m + 0.1 * g) / (np.sqrt(want_v) + 1e-8)
            np.testing.assert_allclose(out, want_var, rtol=1e-5)
        np.testing.assert_allclose(sess.run(m), want_m, rtol=1e-5)


def test_adagrad_op_without_updating_slots(rng):
    x0 = rng.standard_normal(4)
    var, accum = tf.Variable(x0), tf.Variable(np.full(4, 2.0))
    grad = tf.constant(rng.standard_normal(4))
    update = training_ops.apply_adagrad(var, accum, 0.5, grad, update_slots=False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(update)
        out = sess.run(update)
        np.testing.assert_allclose(out, x0 - 2 * 0.5 * sess.run(grad) / np.sqrt(2.0))
        np.testing.assert_array_equal(sess.run(accum), np.full(4, 2.0))


def test_update_output_is_the_new_variable_value():
    w = tf.Variable([1.0, 2.0])
    out = training_ops.apply_gradient_descent(w, 0.5, tf.constant([2.0, 2.0]))
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run(out).tolist() == [0.0, 1.0]
        assert sess.run(w).tolist() == [0.0, 1.0]


def test_a_value_read_in_the_same_run_is_not_changed_by_the_update():
    w = tf.Variable([1.0, 4.0])
    # The gradient is the variable's own value: the update must read it before writing.
    train = tf.train.GradientDescentOptimizer(0.25).apply_gradients([(w.value(), w)])
    doubled = w * 2.0
    with tf.Session() as sess:
        sess.run(w.initializer)
        before = sess.run(w)
        _, also_before = sess.run([train, w])
        assert also_before.tolist() == [1.0, 4.0]
        assert sess.run(w).tolist() == [0.75, 3.0]
        assert before.tolist() == [1.0, 4.0]
        assert sess.run(doubled).tolist() == [1.5, 6.0]


# ---- learning rates ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_learning_rate_can_be_a_fed_tensor(dtype, rng):
    lr = tf.placeholder(tf.float32, [])
    x0 = rng.standard_normal(3).astype(dtype)
    w = tf.Variable(x0)
    g = tf.placeholder(dtype, [3])
    train = tf.train.GradientDescentOptimizer(lr).apply_gradients([(g, w)])
    want = x0.copy()
    with tf.Session() as sess:
        sess.run(w.initializer)
        for rate in (0.5, 0.25, 0.125):
            gv = rng.standard_normal(3).astype(dtype)
            sess.run(train, {lr: rate, g: gv})
            want -= dtype(rate) * gv
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-6)


def test_hyperparameters_can_be_callables(rng):
    w = tf.Variable(np.ones(3, np.float32))
    opt = tf.train.MomentumOptimizer(lambda: tf.constant(0.5), lambda: 0.5)
    train = opt.apply_gradients([(tf.constant(np.ones(3, np.float32)), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        sess.run(train)  # accum: 1, then 1.5
        np.testing.assert_allclose(sess.run(w), 1 - 0.5 * 1 - 0.5 * 1.5)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_drives_the_learning_rate(staircase):
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.5, step, decay_steps=3, decay_rate=0.8,
                                    staircase=staircase)
    assert lr.dtype == tf.float32 and lr.shape.as_list() == []
    w = tf.Variable(0.0)
    train = tf.train.GradientDescentOptimizer(lr).apply_gradients([(tf.constant(1.0), w)],
                                                                  global_step=step)
    want_w = np.float32(0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for s in range(7):
            p = np.floor(s / 3) if staircase else s / 3
            want_lr = np.float32(0.5) * np.float32(0.8) ** np.float32(p)
            np.testing.assert_allclose(sess.run(lr), want_lr, rtol=1e-6)
            sess.run(train)
            want_w -= want_lr
        assert tf.train.global_step(sess, step) == 7
        np.testing.assert_allclose(sess.run(w), want_w, rtol=1e-5)


SCHEDULES = [
    ("exponential", lambda s: tf.train.exponential_decay(0.1, s, 4, 0.5),
     lambda s: 0.1 * 0.5 ** (s / 4)),
    ("natural_exp", lambda s: tf.train.natural_exp_decay(0.1, s, 4, 0.5, staircase=True),
     lambda s: 0.1 * np.exp(-0.5 * np.floor(s / 4))),
    ("inverse_time", lambda s: tf.train.inverse_time_decay(0.1, s, 4, 0.5),
     lambda s: 0.1 / (1 + 0.5 * s / 4)),
    ("polynomial", lambda s: tf.train.polynomial_decay(0.1, s, 8, 0.01, power=2.0),
     lambda s: (0.1 - 0.01) * (1 - min(s, 8) / 8) ** 2 + 0.01),
    ("polynomial_cycle", lambda s: tf.train.polynomial_decay(0.1, s, 4, 0.01, cycle=True),
     lambda s: (0.1 - 0.01) * (1 - s / (4 * max(1, np.ceil(s / 4)))) + 0.01),
    ("cosine", lambda s: tf.train.cosine_decay(0.1, s, 8, alpha=0.2),
     lambda s: 0.1 * (0.8 * 0.5 * (1 + np.cos(np.pi * min(s, 8) / 8)) + 0.2)),
    ("piecewise", lambda s: tf.train.piecewise_constant(s, [3, 7], [1.0, 0.5, 0.1]),
     lambda s: 1.0 if s <= 3 else 0.5 if s <= 7 else 0.1),
]


@pytest.mark.parametrize("name,schedule,ref", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_learning_rate_schedule_matches_numpy(name, schedule, ref):
    step = tf.placeholder(tf.int64, [])
    lr = schedule(step)
    with tf.Session() as sess:
        for s in (0, 1, 3, 4, 5, 7, 8, 12, 13):
            np.testing.assert_allclose(sess.run(lr, {step: s}), ref(s), rtol=1e-6)


def test_schedule_errors():
    with pytest.raises(ValueError, match="global_step is required"):
        tf.train.exponential_decay(0.1, None, 10, 0.9)
    step = tf.placeholder(tf.int64, [])
    with pytest.raises(ValueError, match="1 less than"):
        tf.train.piecewise_constant(step, [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="same dtype as x"):
        tf.train.piecewise_constant(step, [1.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="same dtype"):
        tf.train.piecewise_constant(step, [1], [1.0, 2])


# ---- the global step ---------------------------------------------------------------------

def test_global_step_is_created_once_and_found():
    assert tf.train.get_global_step() is None
    step = tf.train.get_or_create_global_step()
    assert step.name == "global_step:0" and step.dtype == tf.int64
    assert step.shape.as_list() == [] and not step.trainable
    assert tf.train.get_global_step() is step
    assert tf.train.get_or_create_global_step() is step
    assert step in tf.global_variables() and step not in tf.trainable_variables()
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()
    other = tf.Graph()
    assert tf.train.get_global_step(other) is None
    assert tf.train.create_global_step(other).graph is other


def test_global_step_of_the_wrong_type_is_rejected():
    tf.Variable(0.5, name="global_step")
    with pytest.raises(TypeError, match="integer type"):
        tf.train.get_global_step()


@pytest.mark.parametrize("make", [lambda: tf.train.GradientDescentOptimizer(0.1),
                                  lambda: tf.train.AdamOptimizer()])
def test_apply_gradients_increments_the_global_step(make):
    step = tf.train.create_global_step()
    w = tf.Variable([1.0, 2.0])
    opt = make()
    train = opt.apply_gradients([(tf.constant([1.0, 1.0]), w)], global_step=step)
    assert isinstance(train, tf.Operation) and train.name == opt.get_name()
    assert train in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        assert tf.train.global_step(sess, step) == 3
        assert sess.run(w)[0] < 1.0


# ---- slots -------------------------------------------------------------------------------

def test_adam_slots_are_named_like_tf1():
    with tf.name_scope("layer"):
        w = tf.Variable(tf.zeros([2, 3]), name="w")
    b = tf.Variable(tf.zeros([3]), name="b")
    opt = tf.train.AdamOptimizer()
    with tf.name_scope("training"):
        opt.apply_gradients([(tf.ones([2, 3]), w), (tf.ones([3]), b)])
    assert opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(w, "m").name == "layer/w/Adam:0"
    assert opt.get_slot(w, "v").name == "layer/w/Adam_1:0"
    assert opt.get_slot(b, "m").name == "b/Adam:0"
    assert opt.get_slot(w, "m").shape.as_list() == [2, 3]
    assert opt.get_slot(w, "nope") is None
    names = sorted(v.name for v in tf.global_variables())
    assert names == ["b/Adam:0", "b/Adam_1:0", "b:0", "beta1_power:0", "beta2_power:0",
                     "layer/w/Adam:0", "layer/w/Adam_1:0", "layer/w:0"]
    assert sorted(v.name for v in tf.trainable_variables()) == ["b:0", "layer/w:0"]
    assert [v.name for v in opt.variables()] == [
        "b/Adam:0", "b/Adam_1:0", "beta1_power:0", "beta2_power:0", "layer/w/Adam:0",
        "layer/w/Adam_1:0"]


@pytest.mark.parametrize("make,slots", [
    (lambda: tf.train.GradientDescentOptimizer(0.1), {}),
    (lambda: tf.train.MomentumOptimizer(0.1, 0.9), {"momentum": "w/Momentum:0"}),
    (lambda: tf.train.AdagradOptimizer(0.1), {"accumulator": "w/Adagrad:0"}),
    (lambda: tf.train.RMSPropOptimizer(0.1), {"rms": "w/RMSProp:0",
                                              "momentum": "w/RMSProp_1:0"}),
    (lambda: tf.train.RMSPropOptimizer(0.1, centered=True),
     {"rms": "w/RMSProp:0", "mg": "w/RMSProp_1:0", "momentum": "w/RMSProp_2:0"}),
    (lambda: tf.train.AdadeltaOptimizer(), {"accum": "w/Adadelta:0",
                                            "accum_update": "w/Adadelta_1:0"}),
    (lambda: tf.train.FtrlOptimizer(0.1), {"accum": "w/Ftrl:0", "linear": "w/Ftrl_1:0"}),
    (lambda: tf.train.FtrlOptimizer(0.1, accum_name="a", linear_name="l"),
     {"accum": "w/a:0", "linear": "w/l:0"}),
    (lambda: tf.train.ProximalGradientDescentOptimizer(0.1), {}),
    (lambda: tf.train.ProximalAdagradOptimizer(0.1), {"accumulator": "w/ProximalAdagrad:0"}),
    (lambda: tf.train.AdagradDAOptimizer(0.1, tf.train.get_or_create_global_step()),
     {"gradient_accumulator": "w/AdagradDA:0", "gradient_squared_accumulator": "w/AdagradDA_1:0"}),
])
def test_slot_names(make, slots):
    w = tf.Variable(tf.zeros([2]), name="w")
    opt = make()
    opt.apply_gradients([(tf.ones([2]), w)])
    assert opt.get_slot_names() == sorted(slots)
    assert {k: opt.get_slot(w, k).name for k in slots} == slots
    assert all(not opt.get_slot(w, k).trainable for k in slots)


def test_slots_are_made_once_per_variable():
    w = tf.Variable(tf.zeros([2]), name="w")
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    opt.apply_gradients([(tf.ones([2]), w)])
    opt.apply_gradients([(tf.ones([2]) * 2.0, w)])
    assert [v.name for v in opt.variables()] == ["w/Momentum:0"]


def test_slots_are_created_outside_control_dependencies():
    w = tf.Variable(tf.zeros([2]), name="w")
    fed = tf.placeholder(tf.float32, [])
    gate = tf.identity(fed)
    with tf.control_dependencies([gate]):
        train = tf.train.AdamOptimizer().apply_gradients([(tf.ones([2]), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())  # needs no feed of `fed`
        sess.run(train, {fed: 0.0})


# ---- minimize ----------------------------------------------------------------------------

MINIMIZE = [o for o in OPTIMIZERS if o[0] in ("sgd", "nesterov", "adam_params", "adagrad")]


@pytest.mark.parametrize("name,make,ref", MINIMIZE, ids=[o[0] for o in MINIMIZE])
def test_minimize_follows_the_gradient(name, make, ref):
    # loss = w * w + b: d/dw = 2w, d/db = 1
    w0, b0 = 1.5, -0.5
    w = tf.Variable(w0, name="w")
    b = tf.Variable(b0, name="b")
    loss = w * w + b
    step = tf.train.get_or_create_global_step()
    train = make().minimize(loss, global_step=step)
    want = [np.array(w0, np.float32), np.array(b0, np.float32)]
    update, slot_inits = ref
    slots = [{k: np.array(v, np.float32) for k, v in slot_inits.items()} for _ in range(2)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(3):
            grads = [2 * want[0], np.float32(1)]
            sess.run(train)
            for x, s, g in zip(want, slots, grads):
                update(x, s, g, t)
        np.testing.assert_allclose(sess.run([w, b]), want, rtol=1e-5)
        assert tf.train.global_step(sess, step) == 3


def test_compute_gradients_pairs_gradients_with_variables():
    w = tf.Variable(2.0)
    unused = tf.Variable(3.0)
    loss = w * w
    pairs = tf.train.GradientDescentOptimizer(0.1).compute_gradients(loss)
    assert [v for _, v in pairs] == [w, unused]
    assert pairs[1][0] is None
    only_w = tf.train.GradientDescentOptimizer(0.1).compute_gradients(loss, var_list=[w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(pairs[0][0]) == 4.0
        assert sess.run(only_w[0][0]) == 4.0


# ---- errors ------------------------------------------------------------------------------

def test_no_gradients_is_a_value_error():
    w = tf.Variable(1.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(tf.constant(1.0) * 2.0, var_list=[w])
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.minimize(tf.constant(1.0), var_list=[])


def test_invalid_loss_dtype_and_non_variables_are_rejected():
    w = tf.Variable(1.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="Invalid type"):
        opt.compute_gradients(tf.constant(1), var_list=[w])
    with pytest.raises(NotImplementedError, match="Trying to update a Tensor"):
        opt.apply_gradients([(tf.constant(1.0), tf.constant(2.0))])
    with pytest.raises(TypeError, match="l-value"):
        training_ops.apply_gradient_descent(tf.constant(1.0), 0.1, tf.constant(1.0))


def test_adagrad_needs_a_positive_initial_accumulator():
    with pytest.raises(ValueError, match="must be positive"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


def test_gradient_of_another_shape_is_a_value_error():
    w = tf.Variable(tf.zeros([2, 3]))
    opt = tf.train.AdamOptimizer()
    with pytest.raises(ValueError, match=r"Dimension 1 in both shapes must be equal, but are 3 "
                                         r"and 4"):
        opt.apply_gradients([(tf.zeros([2, 4]), w)])
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 2 and 1"):
        training_ops.apply_gradient_descent(w, 0.1, tf.zeros([6]))


def test_gradient_of_another_shape_at_run_time_is_an_invalid_argument():
    w = tf.Variable(tf.zeros([3]))
    g = tf.placeholder(tf.float32, None)
    lr = tf.placeholder(tf.float32, None)
    train = tf.train.MomentumOptimizer(lr, 0.9).apply_gradients([(g, w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"var and grad do not have the same shape\[3\] \[4\]"):
            sess.run(train, {g: np.zeros(4, np.float32), lr: 0.1})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"lr is not a scalar: \[1\]"):
            sess.run(train, {g: np.zeros(3, np.float32), lr: [0.1]})
        sess.run(train, {g: np.ones(3, np.float32), lr: 0.5})
        np.testing.assert_allclose(sess.run(w), -0.5 * np.ones(3))


def test_non_scalar_hyperparameter_is_a_value_error():
    w = tf.Variable(tf.zeros([3]))
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.train.GradientDescentOptimizer(tf.constant([0.1, 0.2])).apply_gradients(
            [(tf.ones([3]), w)])


def test_gradient_of_another_dtype_is_a_type_error():
    w = tf.Variable(tf.zeros([3]))
    with pytest.raises(TypeError, match="Input 'grad' of 'ApplyAdam' Op has type float64 that "
                                        "does not match type float32 of argument 'var'"):
        tf.train.AdamOptimizer().apply_gradients([(tf.zeros([3], tf.float64), w)])
    i = tf.Variable([1, 2])
    with pytest.raises(TypeError, match="'var' of 'ApplyGradientDescent' Op has DataType int32"):
        tf.train.GradientDescentOptimizer(1).apply_gradients([(tf.constant([1, 1]), i)])


def test_uninitialized_slot_is_a_failed_precondition():
    w = tf.Variable(tf.zeros([2]), name="w")
    train = tf.train.MomentumOptimizer(0.1, 0.9).apply_gradients([(tf.ones([2]), w)])
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match=r"uninitialized value \(input 'accum' of ApplyMomentum\)"
                                 r"[\s\S]*node w/Momentum "):
            sess.run(train)
        sess.run(tf.global_variables_initializer())
        sess.run(train)


def test_the_same_variable_twice_is_an_invalid_argument():
    w = tf.Variable(tf.zeros([2]))
    update = training_ops.apply_momentum(w, w, 0.1, tf.ones([2]), 0.9)
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="different variables"):
            sess.run(update)


REGRESSION = [
    ("sgd", lambda: tf.train.GradientDescentOptimizer(0.1)),
    ("momentum", lambda: tf.train.MomentumOptimizer(0.05, 0.9)),
    ("nesterov", lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True)),
    ("adam", lambda: tf.train.AdamOptimizer(0.05)),
    # RMSProp's steps stay near the learning rate: it must decay to reach the minimum.
    ("rmsprop", lambda: tf.train.RMSPropOptimizer(
        tf.train.exponential_decay(0.02, tf.train.get_global_step(), 50, 0.5), momentum=0.5)),
    ("rmsprop_centered", lambda: tf.train.RMSPropOptimizer(
        tf.train.exponential_decay(0.02, tf.train.get_global_step(), 50, 0.5), momentum=0.5,
        centered=True)),
    ("adagrad", lambda: tf.train.AdagradOptimizer(0.5)),
]


@pytest.mark.parametrize("name,make", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_linear_regression_converges_to_least_squares(name, make, rng):
    x = rng.standard_normal((32, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.standard_normal((32, 1))
    w = tf.Variable(tf.zeros([3, 1], tf.float64))
    b = tf.Variable(tf.zeros([1], tf.float64))
    loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(x), w) + b - y))
    step = tf.train.get_or_create_global_step()
    train = make().minimize(loss, global_step=step)
    design = np.hstack([x, np.ones((32, 1))])
    want = np.linalg.lstsq(design, y, rcond=None)[0].ravel()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(400):
            sess.run(train)
        got = np.concatenate([sess.run(w).ravel(), sess.run(b)])
        assert tf.train.global_step(sess, step) == 400
    np.testing.assert_allclose(got, want, atol=1e-3)


# ---- sparse gradients (IndexedSlices) -----------------------------------------------------

# Optimizers whose TF1 sparse update equals the dense one on the densified gradient: SGD's
# ScatterSub, and Adam, which decays m and v densely and moves every element (its untouched
# rows see a zero gradient).
SPARSE_AS_DENSE = {"sgd", "adam", "adam_params"}
SPARSE_SHAPE = (6, 3)


def sparse_reference_step(step):
    """TF1's sparse update of `step`: the rows of repeated indices summed, then `step` applied
    to the rows named and their slots only."""
    def sparse_step(var, slots, values, indices, t):
        rows = np.unique(indices)
        g = np.zeros((len(rows),) + var.shape[1:], var.dtype)
        np.add.at(g, np.searchsorted(rows, indices), values)
        sub, sub_slots = var[rows], {k: v[rows] for k, v in slots.items()}
        step(sub, sub_slots, g, t)
        var[rows] = sub
        for k, v in sub_slots.items():
            slots[k][rows] = v
    return sparse_step


def densified_step(step):
    def dense_step(var, slots, values, indices, t):
        g = np.zeros_like(var)
        np.add.at(g, indices, values)
        step(var, slots, g, t)
    return dense_step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,make,ref", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_sparse_update_matches_numpy_reference(name, make, ref, dtype, rng):
    step, slot_inits = ref
    sparse_step = (densified_step if name in SPARSE_AS_DENSE else sparse_reference_step)(step)
    init = rng.standard_normal(SPARSE_SHAPE).astype(dtype)
    # Repeated indices in every step; rows 2 and 5 are never named.
    steps = [np.array(ix, np.int32) for ix in ([0, 3, 0], [1, 4, 4, 4], [3, 1, 0, 3])]
    feeds = [(rng.standard_normal((len(ix), 3)).astype(dtype), ix) for ix in steps]

    var = tf.Variable(init)
    values = tf.placeholder(dtype, [None, 3])
    indices = tf.placeholder(tf.int32, [None])
    grad = tf.IndexedSlices(values, indices, tf.constant(SPARSE_SHAPE))
    train = make().apply_gradients([(grad, var)])
    want = init.copy()
    want_slots = {k: np.full(SPARSE_SHAPE, dtype(v), dtype) for k, v in slot_inits.items()}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t, (vals, ix) in enumerate(feeds):
            sess.run(train, {values: vals, indices: ix})
            sparse_step(want, want_slots, vals, ix, t)
            got = sess.run(var)
            rtol = 2e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    if name not in SPARSE_AS_DENSE:
        np.testing.assert_array_equal(got[[2, 5]], init[[2, 5]])  # untouched rows


FIXTURES = np.load(pathlib.Path(__file__).parent / "fixtures" / "optimizers" /
                   "optimizers.npz")
FIXTURE_CASES = sorted({k.split("/")[0] for k in FIXTURES.files if "/" in k})


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_optimizer_matches_tensorflow(case, sparse):
    # The steps of TF 2.21's compat.v1 optimizers stored by fixtures/optimizers/make_fixtures.py.
    f = FIXTURES
    w = tf.Variable(f["W0"])
    if sparse:
        loss = tf.reduce_sum(f["C"][:4] * tf.square(tf.gather(w, f["IDS"]) - f["T"][:4]))
    else:
        loss = tf.reduce_sum(f["C"] * tf.square(w - f["T"]))
    optimizer = eval(str(f[f"{case}/optimizer"]), {"tf": tf})
    train = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    want = f[f"{case}/{'sparse' if sparse else 'dense'}"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in want:
            sess.run(train)
            np.testing.assert_allclose(sess.run(w), step, rtol=2e-5, atol=2e-6)


def test_gather_gradient_is_applied_sparsely():
    w = tf.Variable(np.ones((4, 2), np.float32))
    loss = tf.reduce_sum(tf.gather(w, [1, 1]))
    optimizer = tf.train.MomentumOptimizer(0.5, 0.9)
    (grad, var), = optimizer.compute_gradients(loss, [w])
    assert isinstance(grad, tf.IndexedSlices)
    train = optimizer.apply_gradients([(grad, var)])
    assert any(op.type == "SparseApplyMomentum" for op in tf.get_default_graph().get_operations())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_array_equal(sess.run(w), [[1, 1], [0, 0], [1, 1], [1, 1]])


SPARSE_OPS = [
    ("SparseApplyMomentum", lambda v, s, g, i: training_ops.sparse_apply_momentum(
        v, s[0], 0.1, g, i, 0.9)),
    ("SparseApplyAdagrad", lambda v, s, g, i: training_ops.sparse_apply_adagrad(
        v, s[0], 0.1, g, i)),
    ("SparseApplyRMSProp", lambda v, s, g, i: training_ops.sparse_apply_rms_prop(
        v, s[0], s[1], 0.1, 0.9, 0.0, 1e-7, g, i)),
    ("SparseApplyCenteredRMSProp", lambda v, s, g, i: training_ops.sparse_apply_centered_rms_prop(
        v, s[0], s[1], s[2], 0.1, 0.9, 0.0, 1e-7, g, i)),
    ("SparseApplyAdadelta", lambda v, s, g, i: training_ops.sparse_apply_adadelta(
        v, s[0], s[1], 1.0, 0.9, 1e-6, g, i)),
    ("SparseApplyFtrl", lambda v, s, g, i: training_ops.sparse_apply_ftrl(
        v, s[0], s[1], g, i, 0.1, 0.0, 0.0, -0.5)),
    ("SparseApplyFtrlV2", lambda v, s, g, i: training_ops.sparse_apply_ftrl_v2(
        v, s[0], s[1], g, i, 0.1, 0.0, 0.0, 0.1, -0.5)),
    ("SparseApplyProximalGradientDescent",
     lambda v, s, g, i: training_ops.sparse_apply_proximal_gradient_descent(
         v, 0.1, 0.0, 0.0, g, i)),
    ("SparseApplyProximalAdagrad", lambda v, s, g, i: training_ops.sparse_apply_proximal_adagrad(
        v, s[0], 0.1, 0.0, 0.0, g, i)),
    ("SparseApplyAdagradDA", lambda v, s, g, i: training_ops.sparse_apply_adagrad_da(
        v, s[0], s[1], g, i, 0.1, 0.0, 0.0, 1)),
]


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("op_type,make", SPARSE_OPS, ids=[o[0] for o in SPARSE_OPS])
def test_sparse_op_rejects_an_index_out_of_range(op_type, make, index_dtype):
    init = np.arange(6, dtype=np.float32).reshape(3, 2)
    var = tf.Variable(init)
    slots = [tf.Variable(np.ones((3, 2), np.float32)) for _ in range(3)]
    indices = tf.placeholder(index_dtype, [None])
    update = make(var, slots, tf.ones([2, 2]), indices)
    assert update.op.type == op_type
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for bad in ([0, 3], [-1, 0]):
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=f"{op_type}.*{bad[0] if bad[0] < 0 else 3}.*out of range"):
                sess.run(update, {indices: bad})
            np.testing.assert_array_equal(sess.run(var), init)
        sess.run(update, {indices: [2, 2]})  # a repeated index updates its row twice
        assert not np.array_equal(sess.run(var)[2], init[2])
        np.testing.assert_array_equal(sess.run(var)[:2], init[:2])


def test_sparse_op_checks_the_rows_shape():
    var = tf.Variable(np.zeros((3, 2), np.float32))
    accum = tf.Variable(np.zeros((3, 2), np.float32))
    grad = tf.placeholder(tf.float32, None)
    update = training_ops.sparse_apply_momentum(var, accum, 0.1, grad, [0, 1], 0.9)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="SparseApplyMomentum: grad "
                                                                 "must be indices.shape"):
            sess.run(update, {grad: np.zeros((2, 3), np.float32)})


def test_sparse_momentum_op_applies_repeated_indices_in_turn():
    # TF's kernel: one index after another, so a repeated row sees its accumulator twice.
    var = tf.Variable(np.zeros((2, 1)))
    accum = tf.Variable(np.zeros((2, 1)))
    update = training_ops.sparse_apply_momentum(var, accum, 1.0, tf.constant([[1.0], [1.0]],
                                                tf.float64), [0, 0], 0.5)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(update)
        # accum: 1 then 1.5; var: -1 then -2.5
        np.testing.assert_allclose(sess.run([var, accum]), [[[-2.5], [0]], [[1.5], [0]]])


def test_new_optimizers_validate_their_arguments():
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        tf.train.FtrlOptimizer(0.1, initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="initial_gradient_squared_accumulator_value"):
        tf.train.AdagradDAOptimizer(0.1, None, initial_gradient_squared_accumulator_value=0.0)
