"""What TF1 programs use around their graphs: `tf.logging`, `tf.flags` and `tf.app`."""
