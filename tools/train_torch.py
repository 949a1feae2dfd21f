"""PyTorch reference wall time for the work of unetkit's default `train` run (run by hand, never by a test):

    /usr/bin/python3 tools/train_torch.py              # 1 and 2 threads
    /usr/bin/python3 tools/train_torch.py --threads 2

`pnpm train` with its defaults trains SimpleUNet (tools/unet_torch.py's UNet, base 16, depth 2, nearest
upsampling, BatchNorm) for 25 epochs on 200 images of 64x64 in batches of 8 with SGD (lr 0.01, momentum 0.9)
and cross-entropy, scores the training batches' predictions, evaluates the 50 test images after every
epoch (eval mode, batches of 10), and at the end re-estimates the BatchNorm statistics over the training set
(precise BN) and evaluates once more. This script does the same arithmetic on random images and labels
(the work of every step does not depend on the pixel values), so its wall time is what PyTorch 1.13 on this
CPU needs for that run; unetkit's figure is the `seconds` of its report. Data generation, checkpoints and
the report are not timed here (unetkit's total includes them; they take well under a second per epoch).
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from unet_torch import UNet  # noqa: E402

TRAIN, TEST, SIZE, IN_CH, CLASSES, BASE, BATCH, EVAL_BATCH, EPOCHS = 200, 50, 64, 1, 3, 16, 8, 10, 25


def confusion(logits, labels, cm):
    pred = logits.argmax(dim=1)
    cm += torch.bincount((labels * CLASSES + pred).flatten(), minlength=CLASSES * CLASSES).reshape(CLASSES, CLASSES)


def evaluate(model, images, labels):
    model.eval()
    cm = torch.zeros(CLASSES, CLASSES, dtype=torch.long)
    with torch.inference_mode():
        for i in range(0, images.shape[0], EVAL_BATCH):
            confusion(model(images[i:i + EVAL_BATCH]), labels[i:i + EVAL_BATCH], cm)
    return cm


def run(threads, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    train_x = torch.rand(TRAIN, IN_CH, SIZE, SIZE)
    train_y = torch.randint(0, CLASSES, (TRAIN, SIZE, SIZE))
    test_x = torch.rand(TEST, IN_CH, SIZE, SIZE)
    test_y = torch.randint(0, CLASSES, (TEST, SIZE, SIZE))
    model = UNet(in_channels=IN_CH, num_classes=CLASSES, base_channels=BASE)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    epoch_seconds = []
    t_start = time.perf_counter()
    for _ in range(EPOCHS):
        t0 = time.perf_counter()
        model.train()
        cm = torch.zeros(CLASSES, CLASSES, dtype=torch.long)
        order = torch.randperm(TRAIN)
        for i in range(0, TRAIN, BATCH):
            idx = order[i:i + BATCH]
            x, y = train_x[idx], train_y[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            confusion(logits.detach(), y, cm)
            loss.item()
        evaluate(model, test_x, test_y)
        epoch_seconds.append(time.perf_counter() - t0)
    # precise BN: cumulative averages of the batch statistics over the training set, then one more evaluation
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for b in bns:
        b.reset_running_stats()
        b.momentum = None
    model.train()
    with torch.no_grad():
        for i in range(0, TRAIN, BATCH):
            model(train_x[i:i + BATCH])
    evaluate(model, test_x, test_y)
    total = time.perf_counter() - t_start
    epoch_seconds.sort()
    return total, epoch_seconds[len(epoch_seconds) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if not threads or any(t < 1 for t in threads):
        ap.error("--threads must list positive integers")
    print(f"PyTorch {torch.__version__} CPU, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{l:.2f}' for l in os.getloadavg())}; the default train's work: {EPOCHS} epochs x "
          f"{TRAIN // BATCH} steps (batch {BATCH}, {SIZE}x{SIZE}), {TEST} test images per epoch, precise BN")
    for t in threads:
        total, median_epoch = run(t, args.seed)
        print(f"{t} thread(s): {total:.1f} s total, median epoch {median_epoch:.2f} s "
              f"({1000 * median_epoch / (TRAIN // BATCH):.0f} ms per step, evaluation included)")


if __name__ == "__main__":
    main()
