"""tensorlib on a GPU beside PyTorch CUDA, in the same process and on the same device.

    python benchmarks/bench_gpu.py

Rows:
  SGEMM 4096^3        c = a @ b on resident operands, synchronised by fetching sum(c) (PyTorch:
                      cuBLAS, TF32 off; then both with TF32 allowed)
  MLP training step   64-256-10, ReLU, softmax cross-entropy, Adam, batch 128: a host batch
                      in, the loss out (PyTorch: the same model, .cuda() copies, .item())
  20-op chain         20 elementwise ops on 1024 resident floats, the result fetched: the
                      per-run and per-op launch cost (PyTorch eager, and a CUDA graph replay)
"""
import numpy as np

from _harness import median_time, optional_import, report

N = 4096


def sgemm(tf, torch, rows, tf32):
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    rng = np.random.RandomState(0)
    a_np = rng.randn(N, N).astype(np.float32)
    b_np = rng.randn(N, N).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        a, b = tf.Variable(a_np), tf.Variable(b_np)
        total = tf.reduce_sum(tf.matmul(a, b))
        init = tf.global_variables_initializer()
    label = "TF32" if tf32 else "FP32"
    with tf.Session(graph=g) as sess:
        sess.run(init)
        rows.append((f"tensorlib {label}", median_time(lambda: sess.run(total), 5, repeat=7)))
    tf.config.experimental.enable_tensor_float_32_execution(False)
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ta, tb = torch.from_numpy(a_np).cuda(), torch.from_numpy(b_np).cuda()
        rows.append((f"pytorch (cuBLAS) {label}",
                     median_time(lambda: torch.mm(ta, tb).sum().item(), 5, repeat=7)))
        torch.backends.cuda.matmul.allow_tf32 = False


def digits():
    rng = np.random.RandomState(0)
    return rng.rand(1792, 64).astype(np.float32), rng.randint(0, 10, 1792).astype(np.int64)


def mlp_step(tf, torch, rows):
    images, labels = digits()
    batches = [(images[i:i + 128], labels[i:i + 128]) for i in range(0, 1792, 128)]
    rng = np.random.RandomState(1)
    w1 = rng.randn(64, 256).astype(np.float32) * 0.1
    w2 = rng.randn(256, 10).astype(np.float32) * 0.1
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 64])
        y = tf.placeholder(tf.int64, [None])
        v1, v2 = tf.Variable(w1), tf.Variable(w2)
        b1, b2 = tf.Variable(np.zeros(256, np.float32)), tf.Variable(np.zeros(10, np.float32))
        logits = tf.nn.bias_add(tf.matmul(tf.nn.relu(tf.nn.bias_add(tf.matmul(x, v1), b1)), v2), b2)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        init = tf.global_variables_initializer()
    state = {"i": 0}
    with tf.Session(graph=g) as sess:
        sess.run(init)

        def step():
            bx, by = batches[state["i"] % len(batches)]
            state["i"] += 1
            return sess.run([train, loss], {x: bx, y: by})[1]
        rows.append(("tensorlib", median_time(step, 50, repeat=9)))
    if torch is None:
        return
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10)).cuda()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(w1.T))
        model[2].weight.copy_(torch.from_numpy(w2.T))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    lossf = torch.nn.CrossEntropyLoss()

    def torch_step():
        bx, by = batches[state["i"] % len(batches)]
        state["i"] += 1
        out = lossf(model(torch.from_numpy(bx).cuda()), torch.from_numpy(by).cuda())
        opt.zero_grad()
        out.backward()
        opt.step()
        return out.item()
    rows.append(("pytorch eager", median_time(torch_step, 50, repeat=9)))


def op_chain(tf, torch, rows, length=20):
    start = np.linspace(0, 1, 1024, dtype=np.float32)
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(start)
        y = v
        for i in range(length):
            y = y * 1.0001 if i % 2 else y + 0.5
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        rows.append(("tensorlib", median_time(lambda: sess.run(y), 200, repeat=9)))
    if torch is None:
        return
    t = torch.from_numpy(start).cuda()

    def chain():
        z = t
        for i in range(length):
            z = z * 1.0001 if i % 2 else z + 0.5
        return z
    rows.append(("pytorch eager", median_time(lambda: chain().cpu(), 200, repeat=9)))
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            chain()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        captured = chain()

    def replay():
        graph.replay()
        return captured.cpu()
    rows.append(("pytorch CUDA graph", median_time(replay, 200, repeat=9)))


def main():
    import tensorlib as tf
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        print("no GPU visible to tensorlib: nothing to measure")
        return
    details = tf.config.get_device_details(gpus[0])
    print(f"GPU: {details['device_name']}, compute capability {details['compute_capability']}")
    torch = optional_import("torch")
    if torch is not None and not torch.cuda.is_available():
        torch = None
    rows = []
    sgemm(tf, torch, rows, tf32=False)
    sgemm(tf, torch, rows, tf32=True)
    report(f"SGEMM {N}x{N}x{N} (+ sum of the product), "
           f"{2 * N ** 3 / 1e12:.3f} TFLOP a call", rows, unit="ms", reference="tensorlib FP32")
    for name, seconds in rows:
        print(f"  {name:<34} {2 * N ** 3 / seconds / 1e12:8.1f} TFLOP/s")
    rows = []
    mlp_step(tf, torch, rows)
    report("MLP 64-256-10 Adam training step, batch 128 (host batch in, loss out)", rows)
    rows = []
    op_chain(tf, torch, rows)
    report("20 elementwise ops on 1024 floats, result fetched", rows)
    for name, seconds in rows:
        print(f"  {name:<34} {seconds * 1e6 / 20:8.2f} us per op")


if __name__ == "__main__":
    main()
