"""variable_scope and get_variable: names, sharing, defaults, errors, as in TF1."""
import math

import numpy as np
import pytest

import tensorlib as tf


def test_variable_names_follow_variable_scopes_and_ops_follow_name_scopes():
    with tf.variable_scope("foo") as foo:
        with tf.variable_scope("bar"):
            v = tf.get_variable("v", [1])
            op = tf.identity(v)
        with tf.name_scope("ns"):
            w = tf.get_variable("w", [1])
            op2 = tf.identity(w)
    assert (v.name, op.name) == ("foo/bar/v:0", "foo/bar/Identity:0")
    assert (w.name, op2.name) == ("foo/w:0", "foo/ns/Identity:0")
    assert foo.name == "foo" and foo.original_name_scope == "foo/"
    with tf.name_scope("top"):
        x = tf.get_variable("x", [1])
    assert x.name == "x:0" and x.initial_value.name.startswith("x/Initializer/")
    assert tf.get_variable_scope().name == ""


def test_reentering_a_scope_shares_variables_but_opens_a_new_name_scope():
    with tf.variable_scope("foo") as foo:
        v = tf.get_variable("v", [2])
    with tf.variable_scope("foo", reuse=True):
        assert tf.get_variable("v") is v
        assert tf.identity(v).name == "foo_1/Identity:0"
    with tf.variable_scope(foo, reuse=True) as again:
        assert tf.get_variable("v", [2]) is v
        assert tf.identity(v).name == "foo_2/Identity:0"
        assert again.original_name_scope == "foo/"
    with tf.variable_scope("other"):
        # A scope object is entered as itself, not nested in the current scope.
        with tf.variable_scope(foo):
            w = tf.get_variable("w", [1])
    assert w.name == "foo/w:0"


def test_reuse_is_inherited_and_cannot_be_turned_off():
    with tf.variable_scope("a"):
        with tf.variable_scope("b"):
            v = tf.get_variable("v", [1])
    with tf.variable_scope("a", reuse=True):
        with tf.variable_scope("b", reuse=False) as b:
            assert b.reuse is True
            assert tf.get_variable("v") is v
    with tf.variable_scope("a") as a:
        a.reuse_variables()
        with tf.variable_scope("b"):
            assert tf.get_variable("v") is v
    with tf.variable_scope("a"):
        assert not tf.get_variable_scope().reuse


def test_auto_reuse_creates_then_shares():
    def make():
        with tf.variable_scope("shared", reuse=tf.AUTO_REUSE):
            return tf.get_variable("v", [3])
    assert make() is make()
    assert len(tf.global_variables()) == 1


def test_reuse_errors():
    with tf.variable_scope("foo"):
        tf.get_variable("w", [1])
    with pytest.raises(ValueError, match="Variable foo/w already exists, disallowed. Did you "
                                         "mean to set reuse=True or reuse=tf.AUTO_REUSE"):
        with tf.variable_scope("foo"):
            tf.get_variable("w", [1])
    with pytest.raises(ValueError, match="Variable foo/q does not exist, or was not created "
                                         "with tf.get_variable()"):
        with tf.variable_scope("foo", reuse=True):
            tf.get_variable("q", [1])
    with tf.variable_scope("foo", reuse=True):
        with pytest.raises(ValueError, match="Trying to share variable foo/w, but specified "
                                             "shape"):
            tf.get_variable("w", [2])
        with pytest.raises(ValueError, match="specified dtype float64"):
            tf.get_variable("w", [1], dtype=tf.float64)
    tf.Variable(1.0, name="plain")
    with pytest.raises(ValueError, match="does not exist, or was not created with"):
        with tf.variable_scope("", reuse=True):
            tf.get_variable("plain")


def test_scope_argument_errors():
    with pytest.raises(TypeError, match="name_or_scope is required"):
        tf.variable_scope(None)
    with pytest.raises(ValueError, match="reuse parameter must be True or False or None"):
        tf.variable_scope("s", reuse="yes")
    with pytest.raises(ValueError, match="cannot be used without a name_or_scope"):
        with tf.variable_scope(None, default_name="d", reuse=True):
            pass
    with pytest.raises(TypeError, match="must be a string or VariableScope"):
        with tf.variable_scope(3):
            pass
    assert tf.get_variable_scope().name == "" and tf.get_default_graph().get_name_scope() == ""


def test_default_names_are_made_unique_within_their_parent():
    names = []
    for _ in range(2):
        with tf.variable_scope(None, default_name="layer"):
            names.append(tf.get_variable("w", [1]).name)
    with tf.variable_scope("outer"):
        with tf.variable_scope(None, default_name="layer"):
            names.append(tf.get_variable("w", [1]).name)
    assert names == ["layer/w:0", "layer_1/w:0", "outer/layer/w:0"]


def test_default_initializers():
    with tf.variable_scope("s"):
        w = tf.get_variable("w", [30, 50])
        i = tf.get_variable("i", [3], dtype=tf.int64)
        b = tf.get_variable("b", [2], dtype=tf.bool)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        wv, iv, bv = sess.run([w, i, b])
    limit = math.sqrt(6 / (30 + 50))
    assert wv.dtype == np.float32 and np.abs(wv).max() <= limit and wv.std() > limit / 3
    assert iv.dtype == np.int64 and not iv.any() and bv.dtype == bool and not bv.any()


def test_scope_defaults_and_overrides():
    with tf.variable_scope("s", initializer=tf.constant_initializer(0.5), dtype=tf.float64):
        a = tf.get_variable("a", [2])
        b = tf.get_variable("b", [2], initializer=tf.ones_initializer())
        with tf.variable_scope("inner"):
            c = tf.get_variable("c", [1])
        d = tf.get_variable("d", initializer=np.array([1.0, 2.0]))
        e = tf.get_variable("e", initializer=tf.constant([4, 5]))
        f = tf.get_variable("f", [2], initializer=tf.zeros_initializer)  # a class
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        av, bv, cv, dv, ev, fv = sess.run([a, b, c, d, e, f])
    assert av.dtype == np.float64 and av.tolist() == [0.5, 0.5] and bv.tolist() == [1.0, 1.0]
    assert cv.tolist() == [0.5] and dv.tolist() == [1.0, 2.0]
    assert ev.dtype == np.int32 and ev.tolist() == [4, 5] and fv.tolist() == [0.0, 0.0]


def test_get_variable_argument_errors():
    with pytest.raises(ValueError, match="do not specify shape"):
        tf.get_variable("a", [2], initializer=np.zeros(2))
    with pytest.raises(ValueError, match="Initializer type 'float64' and explicit dtype "
                                         "'float32' don't match"):
        tf.get_variable("b", initializer=np.zeros(2), dtype=tf.float32)
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("c", [None, 2])
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("d")
    v = tf.get_variable("e", initializer=lambda: tf.ones([2]))
    assert v.shape.as_list() == [2]


def test_regularizers_add_losses():
    def l2(v):
        return tf.reduce_sum(v * v)

    with tf.variable_scope("s", regularizer=l2):
        a = tf.get_variable("a", initializer=np.array([1.0, 2.0]))
        tf.get_variable("b", [2], regularizer=tf.no_regularizer)
        with tf.variable_scope("t"):
            c = tf.get_variable("c", initializer=np.array([3.0]))
    with tf.variable_scope("s", reuse=True):
        tf.get_variable("a", dtype=tf.float64)  # sharing adds no second loss
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 2
    assert losses[0].name.startswith("s/a/Regularizer/")
    assert losses[1].name.startswith("s/t/c/Regularizer/")
    with tf.Session() as sess:
        sess.run([a.initializer, c.initializer])
        assert sess.run(losses) == [5.0, 9.0]


def test_trainable_collections_and_scoped_queries():
    with tf.variable_scope("net") as net:
        w = tf.get_variable("w", [1])
        s = tf.get_variable("steps", [], dtype=tf.int32, trainable=False)
        m = tf.get_variable("m", [1], collections=[tf.GraphKeys.MODEL_VARIABLES,
                                                   tf.GraphKeys.GLOBAL_VARIABLES])
        loc = tf.get_local_variable("loc", [1])
    with tf.variable_scope("net_2"):
        other = tf.get_variable("w", [1])
    assert tf.trainable_variables() == [w, m, other]
    assert tf.global_variables("net/") == [w, s, m] == net.global_variables()
    assert net.trainable_variables() == [w, m] and net.local_variables() == [loc]
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, "net") == [w, s, m, other]
    assert tf.model_variables() == [m] and tf.local_variables() == [loc]


def test_non_auxiliary_scope_keeps_the_current_name_scope():
    with tf.name_scope("outer"):
        with tf.variable_scope("vs", auxiliary_name_scope=False) as vs:
            v = tf.get_variable("v", [1])
            op = tf.identity(v)
    assert v.name == "vs/v:0" and op.name == "outer/Identity:0"
    assert vs.original_name_scope == "outer/"


def test_variables_ignore_surrounding_control_dependencies():
    c = tf.no_op()
    with tf.control_dependencies([c]):
        v = tf.get_variable("v", [1])
        op = tf.identity(v)
    assert v.initializer.control_inputs == () and op.op.control_inputs == (c,)


def test_each_graph_has_its_own_store_and_values_pick_the_graph():
    tf.get_variable("v", [1])
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1.0)
        v2 = tf.get_variable("v", [1])
    assert v2.graph is g
    with tf.variable_scope("s", values=[x]):
        assert tf.get_default_graph() is g
        assert tf.get_variable("w", [1]).graph is g
    assert tf.get_default_graph() is not g


def test_custom_getters_wrap_the_getter_and_nest():
    calls = []

    def suffix(getter, name, *args, **kwargs):
        calls.append(("suffix", name))
        return getter(name + "_s", *args, **kwargs)

    def frozen(getter, *args, **kwargs):
        calls.append(("frozen", kwargs["name"]))
        kwargs["trainable"] = False
        return getter(*args, **kwargs)

    with tf.variable_scope("outer", custom_getter=suffix):
        a = tf.get_variable("a", [1])
        with tf.variable_scope("inner", custom_getter=frozen):
            b = tf.get_variable("b", [1])
    c = tf.get_variable("c", [1], custom_getter=frozen)
    assert (a.name, b.name, c.name) == ("outer/a_s:0", "outer/inner/b_s:0", "c:0")
    # The inner getter runs first and calls the outer one.
    assert calls == [("suffix", "outer/a"), ("frozen", "outer/inner/b"),
                     ("suffix", "outer/inner/b"), ("frozen", "c")]
    assert tf.trainable_variables() == [a]
    with tf.variable_scope("outer", reuse=True, custom_getter=suffix):
        assert tf.get_variable("a", [1]) is a
    with pytest.raises(ValueError, match="custom_getter must be None or callable"):
        tf.variable_scope("x", custom_getter=3)
