"""PyTorch CPU peer of the MobileNetV2 bench line: torchvision.models.mobilenet_v2 (random weights, no top) with the
same head, batch, size and protocol as scripts/bench/mobilenet.ts.

Usage: /usr/bin/python3 scripts/bench/mobilenet_torch.py --size 224 --batch 8 --batches 3 --threads 2 --trainable-params 6
Prints one JSON line: {"torch", "torchvision", "threads", "inference_img_s", "finetune_img_s"}.
"""
import argparse
import json
import time

import torch
import torchvision
from torch import nn


def model(unfreeze_top: int) -> nn.Module:
    features = torchvision.models.mobilenet_v2(weights=None).features
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 128), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(128, 1), nn.Sigmoid())
    params = list(features.parameters())
    for p in params:
        p.requires_grad = False
    # The last `unfreeze_top` parameter tensors of the backbone (6 = the Keras top 5 layers' weights).
    for p in params[-unfreeze_top:] if unfreeze_top else []:
        p.requires_grad = True
    return nn.Sequential(features, head)


def timed(step, batches: int) -> float:
    step()  # warm-up
    start = time.perf_counter()
    for _ in range(batches):
        step()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    for name, default in (("size", 224), ("batch", 8), ("batches", 3), ("threads", 2), ("trainable-params", 6)):
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = model(a.trainable_params)
    x = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1
    y = torch.randint(0, 2, (a.batch, 1)).float()
    net.eval()
    with torch.no_grad():
        inference = timed(lambda: net(x), a.batches)
    net.train()
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-4)
    loss_fn = nn.BCELoss()

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    finetune = timed(step, a.batches)
    n = a.batch * a.batches
    print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": a.threads,
                      "inference_img_s": n / inference, "finetune_img_s": n / finetune}))


if __name__ == "__main__":
    main()
