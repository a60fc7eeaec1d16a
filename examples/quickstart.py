"""tensorlib in one minute: build a graph, run it, keep state in variables.

    python examples/quickstart.py
"""
import numpy as np

import tensorlib as tf

# 1. Build a graph. Nothing is computed yet: each call adds a node and checks its shapes.
x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
w = tf.Variable(tf.random_normal([3, 2], stddev=0.5, seed=1), name="w")
b = tf.Variable(tf.zeros([2]), name="b")
y = tf.nn.relu(tf.matmul(x, w) + b, name="y")
total = tf.reduce_sum(y, name="total")
print("y is", y)

# 2. Run it. Variables live in the session; feeds are read in place from NumPy.
data = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    y_value, total_value = sess.run([y, total], feed_dict={x: data})
    print("y =\n", y_value)
    print("total =", total_value)

    # 3. Check against NumPy.
    w_value, b_value = sess.run([w, b])
    expected = np.maximum(data @ w_value + b_value, 0)
    assert np.allclose(y_value, expected, rtol=1e-6)
    print("matches NumPy:", np.allclose(y_value, expected, rtol=1e-6))

    # 4. Errors name the op and your line.
    try:
        sess.run(total, feed_dict={x: np.ones((2, 4), np.float32)})
    except ValueError as e:
        print("a wrong feed is caught:", e)
