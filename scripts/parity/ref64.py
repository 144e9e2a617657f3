"""Float64 third opinion on the ONNX training graph: torch autograd in float64 on a model dumped by dump.ts.

Usage: /usr/bin/python3 scripts/parity/ref64.py .cache/parity/s64n2t100 [--flip activation_42:13897,...] [--near 6]
Prints, per trainable weight, the relative gradient error of TF.js and of ONNX against float64 (largest |diff| over
the larger of the reference's largest |value| and 1e-3 of the model's largest gradient, as test/train/fixtures/
onnxParity.ts measures), a WORST line, the smallest trainable batch-norm batch variances, and the ReLU inputs
nearest 0 (|z| relative to the layer's rms, flat NCHW index). --flip takes the other branch of those ReLU entries:
if the float64 run then matches one implementation to ~1e-5, that implementation's float32 forward put the entry
on the other side of 0 (a kink, not a bug).
"""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F

BCE_EPSILON = 1e-7  # src/lib/train/metrics.ts EPSILON, the clip of weightedBce


class Dump:
    """The .json/.bin pair written by dump.ts."""

    def __init__(self, base: str):
        self.meta = json.load(open(base + ".json"))
        self.buf = np.fromfile(base + ".bin", dtype=np.float32)

    def arr(self, ref: dict) -> np.ndarray:
        return self.buf[ref["offset"]:ref["offset"] + ref["length"]].reshape(ref["shape"]).astype(np.float64)


def forward(d: Dump, flips: list) -> tuple:
    """Training-mode forward in float64 (trainable BNs on batch statistics, frozen ones on moving ones)."""
    params, vals, bn_var, relu_in = {}, {}, {}, {}

    def param(layer, k):
        t = torch.tensor(d.arr(layer["weights"][k]), requires_grad=layer["trainable"])
        if layer["trainable"]:
            params[layer["name"] + "/" + k] = t
        return t

    def relu(name, z):
        z = z.contiguous()
        mask = (z > 0).double()
        for layer, i in flips:
            if layer == name:
                mask.view(-1)[i] = 1 - mask.view(-1)[i]
        relu_in[name] = z.detach()
        return z * mask

    y = None
    for L in d.meta["layers"]:
        c, cls, ins = L["config"], L["cls"], [vals[i] for i in L["inbound"]]
        if cls == "InputLayer":
            y = torch.tensor(d.arr(d.meta["xs"])).permute(0, 3, 1, 2).contiguous()
        elif cls == "Conv2D":
            assert c["padding"] == "valid" or c["strides"][0] == 1
            pad = c["kernelSize"][0] // 2 if c["padding"] == "same" else 0
            bias = param(L, "bias") if "bias" in L["weights"] else None
            y = F.conv2d(ins[0], param(L, "kernel").permute(3, 2, 0, 1), bias, stride=c["strides"][0], padding=pad)
        elif cls == "ZeroPadding2D":
            p = 3 if L["name"] == "conv1_pad" else 1  # the two pads of Keras's ResNet50
            y = F.pad(ins[0], (p, p, p, p))
        elif cls == "BatchNormalization":
            x = ins[0]
            if L["trainable"]:
                mean = x.mean((0, 2, 3))
                var = ((x - mean[None, :, None, None]) ** 2).mean((0, 2, 3))
                bn_var[L["name"]] = var.detach()
            else:
                mean = torch.tensor(d.arr(L["weights"]["moving_mean"]))
                var = torch.tensor(d.arr(L["weights"]["moving_variance"]))
            scale = param(L, "gamma") / torch.sqrt(var + c["epsilon"])
            y = (x - mean[None, :, None, None]) * scale[None, :, None, None] + param(L, "beta")[None, :, None, None]
        elif cls == "Activation":
            assert c["activation"] == "relu"
            y = relu(L["name"], ins[0])
        elif cls == "MaxPooling2D":
            y = F.max_pool2d(ins[0], c["poolSize"][0], c["strides"][0])
        elif cls == "Add":
            y = ins[0] + ins[1]
        elif cls == "GlobalAveragePooling2D":
            y = ins[0].mean((2, 3))
        elif cls == "Dense":
            y = ins[0] @ param(L, "kernel") + param(L, "bias")
            y = relu(L["name"], y) if c["activation"] == "relu" else torch.sigmoid(y)
        elif cls == "Dropout":
            y = ins[0]  # dump.ts sets every rate to 0
        else:
            raise SystemExit(f"ref64.py: layer class {cls} ({L['name']}) is not mirrored; add it to forward()")
        vals[L["name"]] = y
    return y, params, bn_var, relu_in


def weighted_bce(d: Dump, scores: torch.Tensor) -> torch.Tensor:
    """src/lib/train/step.ts weightedBce."""
    p = scores.reshape(-1).clamp(BCE_EPSILON, 1 - BCE_EPSILON)
    ys = torch.tensor(d.meta["ys"], dtype=torch.float64)
    cw = d.meta["classWeight"]
    w = ys * cw["1"] + (1 - ys) * cw["0"]
    return (-(ys * p.log() + (1 - ys) * (1 - p).log()) * w).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--flip", default="", help="layer:flatIndex,... ReLU entries to take the other branch of")
    ap.add_argument("--near", type=int, default=6, help="how many near-zero ReLU inputs to list")
    a = ap.parse_args()
    torch.set_num_threads(1)
    d = Dump(a.base)
    flips = [(f.split(":")[0], int(f.split(":")[1])) for f in a.flip.split(",") if f]
    scores, params, bn_var, relu_in = forward(d, flips)
    loss = weighted_bce(d, scores)
    loss.backward()
    print(f"loss f64 {loss.item():.9g} tfjs {d.meta['loss']['tfjs']:.9g} onnx {d.meta['loss']['onnx']:.9g}")
    grads = {k: t.grad.numpy() for k, t in params.items()}
    largest = max(np.abs(g).max() for g in grads.values())

    def rel(ref, got):
        return np.abs(ref - got).max() / max(np.abs(ref).max(), 1e-3 * largest)

    rows = []
    for t in d.meta["trainable"]:
        ref, tj, on = grads[t["originalName"]], d.arr(t["tfjs"]), d.arr(t["onnx"])
        rows.append((t["originalName"], rel(ref, tj), rel(ref, on), rel(tj, on)))
    print(f"{'weight':34s} {'tfjs-f64':>9s} {'onnx-f64':>9s} {'tfjs-onnx':>9s}")
    for r in rows:
        print(f"{r[0]:34s} {r[1]:9.2e} {r[2]:9.2e} {r[3]:9.2e}")
    tj, on, pair = (np.array([r[i] for r in rows]) for i in (1, 2, 3))
    over = f"tfjs {int((tj > 1e-3).sum())} onnx {int((on > 1e-3).sum())} pair {int((pair > 1e-3).sum())} of {len(rows)}"
    print(f"WORST tfjs-f64 {tj.max():.2e} onnx-f64 {on.max():.2e} tfjs-onnx {pair.max():.2e}; >1e-3: {over}")
    smallest = sorted((float(v.min()), k) for k, v in bn_var.items())[:5]
    print("smallest BN batch variances:", ", ".join(f"{k} {v:.2e}" for v, k in smallest))
    # only ReLUs at or above the lowest trainable layer have a gradient through them
    layers = d.meta["layers"]
    lowest = next(i for i, L in enumerate(layers) if L["trainable"] and L["weights"])
    above = {L["name"] for L in layers[lowest:]}
    near = []
    for k, z in relu_in.items():
        if k not in above:
            continue
        rms = float(z.pow(2).mean().sqrt())
        flat = z.abs().view(-1)
        near += [(float(flat[i]) / rms, k, i, float(z.view(-1)[i])) for i in flat.argsort()[:3].tolist()]
    near.sort()
    print("nearest-zero ReLU inputs (|z|/rms layer:index z):",
          "; ".join(f"{r:.1e} {k}:{i} {z:.2e}" for r, k, i, z in near[:a.near]))


if __name__ == "__main__":
    main()
