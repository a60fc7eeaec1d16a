"""Shared timing and reporting for the benchmarks: medians over repeats, ratios to peers."""
import statistics
import time


def median_time(fn, number, repeat=15, warmup=3):
    """Median over `repeat` batches of the seconds per call of `fn` (called `number` times)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def wake(fn, seconds=0.01):
    """Calls fn (untimed) for `seconds`, at least once: after a rest a library's sleeping
    threads, and on a virtual machine the idle cores themselves, take up to a few milliseconds
    to come back, so a short call right after the rest would run on one thread."""
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def interleaved_times(fns, number, repeat=15, warmup=3, pause=0.0):
    """Medians like median_time for several {name: fn}, timed in turn within each repeat so that
    a change in the machine's load falls on all of them alike; also the median of each one's
    per-repeat ratio to the first. `pause` seconds of rest before each batch let the previous
    library's idle threads stop spinning (BLAS threads spin for a while after each call);
    untimed calls after it (wake) bring this one's threads back, so the batch times steady
    calls.
    Returns ({name: seconds}, {name: ratio})."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if pause:
                time.sleep(pause)
                wake(fn)
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - start) / number)
    first = samples[next(iter(fns))]
    medians = {name: statistics.median(s) for name, s in samples.items()}
    ratios = {name: statistics.median(a / b for a, b in zip(s, first)) for name, s in samples.items()}
    return medians, ratios


def report(title, rows, unit="us", reference="tensorlib"):
    """Prints `rows` [(name, seconds)] with each row's ratio to the reference row."""
    scale = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    ref = dict(rows).get(reference)
    print(f"\n{title}")
    print(f"  {'implementation':<34} {'median ' + unit:>12} {'vs ' + reference:>14}")
    for name, seconds in rows:
        ratio = f"{seconds / ref:.2f}x" if ref else "-"
        print(f"  {name:<34} {seconds * scale:>12.2f} {ratio:>14}")


def optional_import(name):
    """The module, or None when the peer is not installed."""
    try:
        return __import__(name, fromlist=["_"])
    except Exception:  # noqa: BLE001 (a broken peer install is the same as none)
        return None
