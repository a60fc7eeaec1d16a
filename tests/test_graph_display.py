"""Graphs, operations and tensors display as SVG pictures in Jupyter (graph_display)."""
import xml.etree.ElementTree as ElementTree

import numpy as np

import tensorlib as tf
from tensorlib.framework import graph_display

SVG = "{http://www.w3.org/2000/svg}"


def mlp():
    images = tf.placeholder(tf.float32, [None, 64], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    hidden = tf.layers.dense(images, 32, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(hidden, 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                          logits=logits))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    return images, hidden, logits, train


def lenet():
    images = tf.placeholder(tf.float32, [None, 28, 28, 1], name="images")
    conv1 = tf.layers.conv2d(images, 6, 5, padding="same", activation=tf.nn.relu, name="conv1")
    pool1 = tf.layers.max_pooling2d(conv1, 2, 2, name="pool1")
    conv2 = tf.layers.conv2d(pool1, 16, 5, activation=tf.nn.relu, name="conv2")
    pool2 = tf.layers.max_pooling2d(conv2, 2, 2, name="pool2")
    flat = tf.layers.flatten(pool2, name="flatten")
    logits = tf.layers.dense(flat, 10, name="logits")
    loss = tf.reduce_sum(tf.square(logits))
    tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return images, conv1, pool1, logits


def boxes(svg):
    """{box kind: [its text lines]} of an SVG picture, which must parse as XML."""
    root = ElementTree.fromstring(svg)
    assert root.tag == SVG + "svg"
    found = {"scope": [], "op": []}
    for group in root.iter(SVG + "g"):
        found[group.get("class")].append([t.text for t in group.iter(SVG + "text")])
    return found


def shape_labels(svg):
    root = ElementTree.fromstring(svg)
    return {t.text for t in root.iter(SVG + "text") if t.get("class") == "shape"}


def test_mlp_graph_collapses_scopes_into_boxes_with_shapes_on_edges():
    images, hidden, logits, _ = mlp()
    svg = graph_display.to_svg(tf.get_default_graph())
    found = boxes(svg)
    scopes = {lines[0] for lines in found["scope"]}
    assert {"hidden", "logits", "gradients", "Adam"} <= scopes
    # The ops outside any scope are boxes of their own, labelled with their type.
    assert ["Placeholder", "images"] in found["op"]
    # No op of a scope is drawn outside its box.
    assert not any(len(lines) > 1 and "/" in lines[1] for lines in found["op"])
    labels = shape_labels(svg)
    assert str(images.shape) in labels and str(logits.shape) in labels
    assert str(images.shape) == "(?, 64)"


def test_scope_unfolds_into_its_ops():
    _, hidden, _, _ = mlp()
    svg = graph_display.to_svg(tf.get_default_graph(), "hidden")
    found = boxes(svg)
    op_types = {lines[0] for lines in found["op"]}
    assert {"MatMul", "BiasAdd", "Relu"} <= op_types
    assert {"kernel", "bias"} <= {lines[0] for lines in found["scope"]}
    assert str(hidden.shape) in shape_labels(svg)  # MatMul -> BiasAdd -> Relu: (?, 32)


def test_lenet_graph_shows_convolution_shapes():
    images, conv1, pool1, _ = lenet()
    svg = graph_display.to_svg(tf.get_default_graph())
    scopes = {lines[0] for lines in boxes(svg)["scope"]}
    assert {"conv1", "pool1", "conv2", "pool2", "flatten", "logits", "gradients"} <= scopes
    labels = shape_labels(svg)
    assert {str(images.shape), str(conv1.shape), str(pool1.shape)} <= labels
    assert str(conv1.shape) == "(?, 28, 28, 6)"


def test_html_is_xml_with_one_unfolding_section_per_scope():
    mlp()
    graph = tf.get_default_graph()
    page = ElementTree.fromstring(graph._repr_html_())
    sections = [d.find("summary").text.split(" (")[0] for d in page.iter("details")]
    scopes = {op.name.rsplit("/", 1)[0] for op in graph.get_operations() if "/" in op.name}
    nested = {"/".join(s.split("/")[:i]) for s in scopes for i in range(1, s.count("/") + 2)}
    assert sorted(sections) == sorted(nested)
    pictures = list(page.iter(SVG + "svg"))
    assert len(pictures) == len(sections) + 1
    # Each picture's arrowhead has an id of its own: they share one page.
    ids = [m.get("id") for p in pictures for m in p.iter(SVG + "marker")]
    assert len(set(ids)) == len(ids)


def test_tensor_and_operation_show_only_what_they_depend_on():
    _, hidden, logits, train = mlp()
    page = ElementTree.fromstring(hidden._repr_html_())
    assert repr(hidden) in "".join(page.itertext())
    top = boxes(ElementTree.tostring(next(page.iter(SVG + "svg"))))
    assert {lines[0] for lines in top["scope"]} == {"hidden"}
    assert top["op"] == [["Placeholder", "images"]]
    # The op that makes the tensor is outlined.
    outlined = [g for g in next(page.iter(SVG + "svg")).iter(SVG + "g")
                if g.find(SVG + "rect").get("stroke") != "#556"]
    assert [g.find(SVG + "title").text.split("/")[0] for g in outlined] == ["hidden"]
    op_page = ElementTree.fromstring(logits.op._repr_html_())
    assert "gradients" not in "".join(op_page.itertext())


def test_while_loop_graph_draws():
    """A loop's back edge must not break the layering."""
    n = tf.placeholder(tf.int32, [])
    total = tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i), [0, 0])[1]
    with tf.Session() as sess:
        assert sess.run(total, {n: 5}) == np.arange(5).sum()
    ElementTree.fromstring(tf.get_default_graph()._repr_html_())


def test_a_long_graph_draws_a_bounded_number_of_boxes():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    h = x
    for _ in range(graph_display._MAX_BOXES):
        h = tf.nn.relu(h)
    graph_picture = ElementTree.fromstring(graph_display.to_svg(tf.get_default_graph()))
    tensor_picture = ElementTree.fromstring(graph_display.to_svg(h))
    for picture, kept in ((graph_picture, "x"), (tensor_picture, h.op.name)):
        found = [g.find(SVG + "title").text.split(" ")[0] for g in picture.iter(SVG + "g")]
        assert len(found) == graph_display._MAX_BOXES and kept in found
        notes = [t.text for t in picture.iter(SVG + "text") if t.get("class") == "note"]
        assert notes == ["not drawn: 1 more box"]
