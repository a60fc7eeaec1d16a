"""Writes the fuzzer's seed corpus: small valid models that between them use every section,
every attribute tag, every dtype, multi-output ops, control inputs and functions (If, While).

    PYTHONPATH=. python fuzz/make_seed_corpus.py build/fuzz/seeds
"""
import pathlib
import struct
import sys

import numpy as np

import tensorlib as tf
from tensorlib import _core


def converted(build):
    """The model of the (inputs, outputs) that `build()` makes in a fresh graph."""
    graph = tf.Graph()
    with graph.as_default():
        inputs, outputs = build()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.lite.TFLiteConverter.from_session(sess, inputs, outputs).convert()


def mlp():
    x = tf.placeholder(tf.float32, [None, 8], name="x")
    h = tf.layers.dense(x, 6, activation=tf.nn.relu)
    return [x], [tf.nn.softmax(tf.layers.dense(h, 3))]


def cnn():
    x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="images")
    h = tf.layers.conv2d(x, 3, 3, padding="same", activation=tf.nn.leaky_relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.batch_normalization(h, training=False)
    return [x], [tf.layers.dense(tf.layers.flatten(h), 2)]


def dtypes():
    x = tf.placeholder(tf.int64, None, name="x")
    values = [np.array([1.5], np.float16), np.array([2.5]), np.array([3], np.int32),
              np.array([True, False]), np.array([b"a", b"bc"], object)]
    outputs = [tf.identity(tf.constant(v)) for v in values]
    return [x], outputs + [tf.cast(x, tf.float32) * 2.0]


def arrays():
    x = tf.placeholder(tf.float32, [4, 6], name="x")
    a, b = tf.split(x, 2, axis=1)
    s = tf.strided_slice(tf.transpose(a), [0, 1], [3, 4], [1, 2])
    y = tf.concat([tf.reshape(s, [-1]), tf.reduce_max(b, axis=[0, 1], keepdims=False)[None]], 0)
    return [x], [y, tf.matmul(a, b, transpose_a=True)]


def shape_functions():
    """Ops whose shape functions read constant inputs or list attributes."""
    x = tf.placeholder(tf.float32, [2, 3, 4], name="x")
    i = tf.placeholder(tf.int32, [None], name="i")
    outputs = [
        tf.reshape(x, [4, -1]), tf.tile(x, [1, 2, 1]), tf.pad(x, [[0, 1], [2, 0], [1, 1]]),
        tf.slice(x, [0, 1, 0], [1, -1, 2]), x[:, ::-1, 1:3], tf.transpose(x, [2, 0, 1]),
        tf.expand_dims(x, -1), tf.squeeze(x[:1], [0]), tf.concat([x, x], axis=-1),
        tf.reduce_sum(x, axis=[0, 2], keepdims=True), tf.argmax(x, axis=1),
        tf.cumsum(x, axis=2, reverse=True), tf.reverse(x, [1]), tf.gather(x, i, axis=1),
        tf.one_hot(i, 5), tf.fill(tf.shape(i), 2.0), tf.range(tf.size(i)),
        tf.stack(tf.unstack(x, axis=1), axis=0), tf.clip_by_value(x, -1.0, 1.0),
        tf.nn.avg_pool(x[..., None], [1, 2, 2, 1], [1, 1, 2, 1], "VALID"),
        tf.einsum("abc,abd->acd", x, x), tf.broadcast_to(x[:, :1], [2, 3, 4]),
    ]
    return [x, i], outputs


def control_flow():
    """A loop with a cond and a TensorArray inside: the functions section (format 1.2)."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")

    def body(i, h, ta):
        h = tf.cond(tf.equal(i % 2, 0), lambda: tf.tanh(h), lambda: h * 0.5)
        return i + 1, h, ta.write(i, tf.reduce_sum(h))

    _, h, ta = tf.while_loop(lambda i, h, ta: i < 3, body, [0, x, tf.TensorArray(tf.float32, 3)])
    return [x], [h, ta.stack(), tf.map_fn(lambda r: r * r, x)]


def control_inputs():
    """Serialized directly (the converter drops control edges to folded nodes)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        first = tf.exp(x, name="first")
        with tf.control_dependencies([first]):
            y = tf.identity(x * 2.0, name="y")
        return _core.serialize_model(graph._c, [x._as_node_input()],
                                     [y._as_node_input(), first._as_node_input()])


def with_op_libraries(model, entries):
    """`model` laid out again with an op libraries section (format 1.1) naming `entries`,
    [(op, library file name)]: the fuzzer has no op library to write a model with one."""
    header, entry = 64, 24
    strings, weights, op_libraries = 1, 6, 7
    sections = {}
    for i in range(struct.unpack_from("<I", model, 20)[0]):
        sid, _, offset, size = struct.unpack_from("<IIQQ", model, header + entry * i)
        sections[sid] = model[offset:offset + size]
    text = bytearray(sections[strings])
    table = struct.pack("<I", len(entries))
    for name in (name.encode() for pair in entries for name in pair):
        table += struct.pack("<II", len(text), len(name))
        text += name
    sections[strings], sections[op_libraries] = bytes(text), table
    order = [sid for sid in sections if sid != weights] + [weights]
    header_size = header + entry * len(order)
    entries_out, body = b"", bytearray()
    for sid in order:
        body += b"\0" * (-(header_size + len(body)) % (64 if sid == weights else 8))
        entries_out += struct.pack("<IIQQ", sid, 0, header_size + len(body), len(sections[sid]))
        body += sections[sid]
    buf = bytearray(model[:header]) + entries_out + body
    struct.pack_into("<HIIIQ", buf, 10, 1, header_size, 0, len(order), len(buf))
    struct.pack_into("<II", buf, 32, _core.crc32c(bytes(buf[header_size:])), 0)
    struct.pack_into("<I", buf, 36, _core.crc32c(bytes(buf[:header_size])))
    return bytes(buf)


def main(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    models = {name: converted(build) for name, build in
              [("mlp", mlp), ("cnn", cnn), ("dtypes", dtypes), ("arrays", arrays),
               ("shape_functions", shape_functions), ("control_flow", control_flow)]}
    models["control_inputs"] = control_inputs()
    # Relu is tensorlib's own, so the whole model loads; the other op is in no node.
    models["op_libraries"] = with_op_libraries(
        models["mlp"], [("Relu", "librelu_ops.so"),
                        ("ClipByNormPerRow", "libclip_by_norm_per_row.so")])
    assert len(_core.model_op_libraries(models["op_libraries"])) == 2
    for name, model in models.items():
        _core.load_model(model)  # every seed must load
        (out / f"{name}.tlm").write_bytes(model)
        print(f"{out / name}.tlm: {len(model)} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
