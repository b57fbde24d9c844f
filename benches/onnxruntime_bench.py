#!/usr/bin/env python3
"""Median latency of each ONNX model written by `hdrl export --onnx DIR` in ONNX Runtime, batch
1, one intra-op thread, the inputs of DIR/examples.json rotated call by call (as the criterion
benches rotate theirs), through I/O binding (the lowest-overhead call the Python API has; the
Python interpreter's per-call dispatch, about a microsecond, stays in). Prints one JSON object:
{model: median ns per call}.

Usage: onnxruntime_bench.py DIR [--seconds 3]   (run it pinned to one core: taskset -c N)
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import onnxruntime as ort

MODELS = {"dqn": ("dqn.onnx", "observation", (23,)), "ppo": ("ppo.onnx", "observation", (25,)),
          "lstm": ("lstm.onnx", "window", (12, 5))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args()
    with open(os.path.join(a.dir, "examples.json")) as f:
        examples = json.load(f)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    out = {}
    for name, (file, inp, shape) in MODELS.items():
        sess = ort.InferenceSession(os.path.join(a.dir, file), opts, providers=["CPUExecutionProvider"])
        xs = [np.asarray(x, dtype=np.float32).reshape((1, *shape)) for x in examples[name]["inputs"]]
        # Inputs and outputs bound once as OrtValues (I/O binding), so a call is ONNX Runtime's
        # own work plus the binding's thin dispatch, not numpy conversions in Python.
        binds = []
        for x in xs:
            io = sess.io_binding()
            io.bind_ortvalue_input(inp, ort.OrtValue.ortvalue_from_numpy(x))
            for o in sess.get_outputs():
                io.bind_output(o.name)
            binds.append(io)
        for io in binds * 20:  # warm-up
            sess.run_with_iobinding(io)
        # Samples of 200 calls each until the time budget is spent; the median sample / 200.
        samples, t_end = [], time.perf_counter() + a.seconds
        while time.perf_counter() < t_end or len(samples) < 10:
            t0 = time.perf_counter_ns()
            for k in range(200):
                sess.run_with_iobinding(binds[k % len(binds)])
            samples.append((time.perf_counter_ns() - t0) / 200)
        # The same loop with an empty body: Python's own cost per iteration, subtracted.
        t0 = time.perf_counter_ns()
        for k in range(20000):
            binds[k % len(binds)]
        loop_ns = (time.perf_counter_ns() - t0) / 20000
        out[name] = statistics.median(samples) - loop_ns
    print(json.dumps(out))


if __name__ == "__main__":
    main()
