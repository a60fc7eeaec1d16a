"""The MNIST tutorial's data reader:
`from tensorlib.examples.tutorials.mnist import input_data`."""
