"""PyTorch CPU peer of `npm run bench`: the same networks, batch sizes and timing protocol.

Usage: /usr/bin/python3 scripts/bench/peer_torch.py --tasks cnn128,cnn224,resnet50,head,ft15,ft100 --batches 3 --threads 2
ft<N>: ResNet50 + head (a) fine-tuning with the top N Keras layers trainable (the same layers as setTrainableTop),
frozen batch norms in inference mode (Keras 2 / TF 2 semantics), at --ft-size (224), batch --ft-batch (16).
Prints one JSON object on the last line of stdout: {"torch": version, "threads": n, "results": {task: {...}}}.
Every task runs 1 warm-up batch then `--batches` timed batches (the head task: 1 warm-up epoch, 1 timed epoch).
"""
import argparse
import json
import resource
import time

import torch
from torch import nn


def cnn4(size: int) -> nn.Module:
    """4-block CNN exactly as src/lib/models/cnn4.ts (Keras BN eps 1e-3, momentum 0.99 -> torch 0.01)."""
    layers = []
    cin = 1
    for f in (32, 64, 128, 256):
        layers += [
            nn.Conv2d(cin, f, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f, eps=1e-3, momentum=0.01),
            nn.Conv2d(f, f, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f, eps=1e-3, momentum=0.01),
            nn.MaxPool2d(2, 2), nn.Dropout(0.25),
        ]
        cin = f
    side = size // 16
    layers += [
        nn.Flatten(),
        nn.Linear(256 * side * side, 512), nn.ReLU(), nn.BatchNorm1d(512, eps=1e-3, momentum=0.01), nn.Dropout(0.5),
        nn.Linear(512, 256), nn.ReLU(), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01), nn.Dropout(0.5),
        nn.Linear(256, 1), nn.Sigmoid(),
    ]
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    """Keras ResNet50 bottleneck: 1x1 (stride s) -> 3x3 -> 1x1 (x4), projection shortcut on the first block."""

    def __init__(self, cin: int, mid: int, stride: int, project: bool):
        super().__init__()
        cout = mid * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, stride=stride), nn.BatchNorm2d(mid, eps=1e-3), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, padding=1), nn.BatchNorm2d(mid, eps=1e-3), nn.ReLU(),
            nn.Conv2d(mid, cout, 1), nn.BatchNorm2d(cout, eps=1e-3),
        )
        self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout, eps=1e-3)) if project else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.short(x))

    def keras_layers(self):
        """This block's layers in Keras 2.2.4 order (None for the ones without weights: activations, add)."""
        b = self.body
        if isinstance(self.short, nn.Identity):
            return [b[0], b[1], None, b[3], b[4], None, b[6], b[7], None, None]
        return [b[0], b[1], None, b[3], b[4], None, b[6], self.short[0], b[7], self.short[1], None, None]


def resnet50_backbone() -> nn.Module:
    """ResNet50 without top (Keras 2.2.4 layout, biases on convs), output 7x7x2048 at 224."""
    layers = [nn.ZeroPad2d(3), nn.Conv2d(3, 64, 7, stride=2), nn.BatchNorm2d(64, eps=1e-3), nn.ReLU(), nn.ZeroPad2d(1), nn.MaxPool2d(3, 2)]
    cin = 64
    for mid, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            layers.append(Bottleneck(cin, mid, stride if b == 0 else 1, b == 0))
            cin = mid * 4
    return nn.Sequential(*layers)


def keras_order(backbone: nn.Sequential) -> list:
    """The backbone's layers as Keras lists them (input, pads, pool and activations as None), for "top N trainable"."""
    stem = [None, None, backbone[1], backbone[2], None, None, None]  # input, pad, conv1, bn_conv1, act, pad, pool
    return stem + [layer for block in backbone[6:] for layer in block.keras_layers()]


def set_trainable_top(backbone: nn.Sequential, n: int) -> list:
    """Freeze all but the top n Keras layers; returns the frozen batch norms (kept in eval mode while training)."""
    order = keras_order(backbone)
    frozen_bn = []
    for i, layer in enumerate(order):
        if layer is None:
            continue
        trainable = i >= len(order) - n
        for p in layer.parameters():
            p.requires_grad_(trainable)
        if isinstance(layer, nn.BatchNorm2d) and not trainable:
            frozen_bn.append(layer)
    return frozen_bn


def bench_finetune(top: int, size: int, batch: int, batches: int) -> dict:
    """ResNet50 + GAP + head (a), top `top` backbone layers trainable, Adam over the trainable parameters."""
    backbone = resnet50_backbone()
    model = nn.Sequential(backbone, nn.AdaptiveAvgPool2d(1), head_a()).train()
    frozen_bn = set_trainable_top(backbone, top)
    for bn in frozen_bn:
        bn.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-5)
    xs = torch.rand(batch, 3, size, size) * 255
    ys = (torch.rand(batch) > 0.5).float()
    train_step(model, opt, xs, ys)
    start = time.perf_counter()
    for _ in range(batches):
        train_step(model, opt, xs, ys)
    sec = time.perf_counter() - start
    trainable = sum(p.numel() for p in params)
    return {"imgPerSec": batch * batches / sec, "secPerBatch": sec / batches, "batch": batch, "batches": batches, "size": size, "trainableParams": trainable}


def head_a() -> nn.Module:
    """Head (a) of src/lib/models/heads.ts on 1x1x2048 features: Dense 256 -> Dropout .5 -> Dense 128 -> Dropout .3 -> Dense 1."""
    return nn.Sequential(nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 1), nn.Sigmoid())


def train_step(model, opt, xs, ys):
    opt.zero_grad(set_to_none=True)
    loss = nn.functional.binary_cross_entropy(model(xs).view(-1), ys)
    loss.backward()
    opt.step()
    return float(loss)


def bench_cnn(size: int, batch: int, batches: int) -> dict:
    model = cnn4(size).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs = torch.rand(batch, 1, size, size) * 255
    ys = (torch.rand(batch) > 0.5).float()
    train_step(model, opt, xs, ys)
    start = time.perf_counter()
    for _ in range(batches):
        train_step(model, opt, xs, ys)
    sec = time.perf_counter() - start
    return {"imgPerSec": batch * batches / sec, "secPerBatch": sec / batches, "batch": batch, "batches": batches}


def bench_resnet(batch: int, batches: int) -> dict:
    model = resnet50_backbone().eval()
    xs = torch.rand(batch, 3, 224, 224) * 255
    with torch.no_grad():
        model(xs)
        start = time.perf_counter()
        for _ in range(batches):
            model(xs)
        sec = time.perf_counter() - start
    return {"imgPerSec": batch * batches / sec, "secPerBatch": sec / batches, "batch": batch, "batches": batches}


def bench_head(n: int, batch: int) -> dict:
    """Seconds of one epoch over n examples (after a warm-up epoch), scaled to 5,000 examples like the TF.js side."""
    model = head_a().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs = torch.rand(n, 2048)
    ys = (torch.rand(n) > 0.5).float()

    def epoch():
        order = torch.randperm(n)
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            train_step(model, opt, xs[idx], ys[idx])

    epoch()
    start = time.perf_counter()
    epoch()
    sec = time.perf_counter() - start
    return {"secPerEpoch": sec * 5000 / n, "imgPerSec": n / sec, "examples": n, "batch": batch}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", default="cnn128,cnn224,resnet50,head")
    p.add_argument("--batches", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--head-examples", type=int, default=5000)
    p.add_argument("--ft-size", type=int, default=224)
    p.add_argument("--ft-batch", type=int, default=16)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    results = {}
    for task in a.tasks.split(","):
        if task == "cnn128":
            results[task] = bench_cnn(128, 16, a.batches)
        elif task == "cnn224":
            results[task] = bench_cnn(224, 16, a.batches)
        elif task == "resnet50":
            results[task] = bench_resnet(8, a.batches)
        elif task == "head":
            results[task] = bench_head(a.head_examples, 32)
        elif task.startswith("ft"):
            results[task] = bench_finetune(int(task[2:]), a.ft_size, a.ft_batch, a.batches)
    # one task a process (see peer.ts) makes this the task's own peak RSS
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results, "peakRssMB": peak_mb}))


if __name__ == "__main__":
    main()
