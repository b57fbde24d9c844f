#!/usr/bin/env python3
"""Run the ONNX models written by `hdrl export --onnx DIR` in ONNX Runtime and check that they
compute what hdrl-infer computes (DIR/examples.json: seeded inputs and hdrl-infer's outputs).

Usage: check.py DIR [--tol 1e-5]   (needs numpy and onnxruntime; .ci/run makes a venv)
Exit status 0 when every output of every model is within tol of hdrl-infer's (absolute, or
relative for values above 1), 1 otherwise.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort

# model -> (file, input name, input shape per example, output names)
MODELS = {
    "dqn": ("dqn.onnx", "observation", (23,), ["q_values"]),
    "ppo": ("ppo.onnx", "observation", (25,), ["logits", "value"]),
    "lstm": ("lstm.onnx", "window", (12, 5), ["forecast"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()
    with open(os.path.join(a.dir, "examples.json")) as f:
        examples = json.load(f)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    failed = False
    for name, (file, inp, shape, outs) in MODELS.items():
        ex = examples[name]
        x = np.asarray(ex["inputs"], dtype=np.float32).reshape((-1, *shape))
        want = np.asarray(ex["outputs"], dtype=np.float64)
        sess = ort.InferenceSession(os.path.join(a.dir, file), opts, providers=["CPUExecutionProvider"])
        got = np.concatenate([np.asarray(o, dtype=np.float64).reshape(len(x), -1) for o in sess.run(outs, {inp: x})], axis=1)
        if got.shape != want.shape:
            print(f"FAIL {name}: output shape {got.shape}, hdrl-infer {want.shape}")
            failed = True
            continue
        err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
        worst = float(err.max())
        ok = worst <= a.tol
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(x)} inputs, {want.shape[1]} outputs each, "
              f"max error {worst:.2e} (tolerance {a.tol:.0e}), onnxruntime {ort.__version__}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
