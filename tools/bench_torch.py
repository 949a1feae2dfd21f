"""PyTorch reference timing for unetkit's benchmark (run by hand, never by a test):

    /usr/bin/python3 tools/bench_torch.py            # 1 and 2 threads, 3 warm-ups, 15 timed runs
    /usr/bin/python3 tools/bench_torch.py --quick    # 1 warm-up, 5 timed runs
    /usr/bin/python3 tools/bench_torch.py --threads 1 --runs 30

Times the same SimpleUNet workloads as `pnpm bench` (apps/bench) on the CPU with Debian's
python3-torch (1.13): tools/unet_torch.py's UNet(base_channels=16) (depth 2, nearest upsampling,
BatchNorm, same padding, 1 -> 3 channels), batch 8 of 64x64 images:

  train-b8   zero_grad + forward (train mode) + F.cross_entropy + backward + SGD(lr 0.01, momentum 0.9)
  infer-b1   forward in eval mode under torch.inference_mode(), batch 1
  infer-b8   the same, batch 8

at each thread count (torch.set_num_threads, called once per thread count: changing it between
steps makes OpenMP rebuild its thread team), warm-ups first, then timed runs in interleaved rounds
(the three workloads once per round, so drifts in the machine's load touch all alike). Prints the median
wall-clock and process-CPU milliseconds, writes bench-results/bench-torch.json, and, when
bench-results/bench.json (written by `pnpm bench`) exists, prints unetkit's medians divided by
PyTorch's at the same thread count.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from unet_torch import UNet  # noqa: E402

BATCH, SIZE, IN_CH, CLASSES, BASE = 8, 64, 1, 3, 16
TASKS = ("train-b8", "infer-b1", "infer-b8")


def make_workloads(threads):
    """The three workloads at one thread count, each with its own model (seeded, as unetkit's)."""
    torch.manual_seed(0)
    images = torch.rand(BATCH, IN_CH, SIZE, SIZE)
    labels = torch.randint(0, CLASSES, (BATCH, SIZE, SIZE))
    train_model = UNet(in_channels=IN_CH, num_classes=CLASSES, base_channels=BASE).train()
    opt = torch.optim.SGD(train_model.parameters(), lr=0.01, momentum=0.9)
    infer_model = UNet(in_channels=IN_CH, num_classes=CLASSES, base_channels=BASE).eval()
    x1 = images[:1].clone()

    def train():
        opt.zero_grad()
        loss = F.cross_entropy(train_model(images), labels)
        loss.backward()
        opt.step()
        return loss.item()

    def infer(x):
        def run():
            with torch.inference_mode():
                infer_model(x)
        return run

    params = sum(p.numel() for p in train_model.parameters())
    return [
        {"id": f"torch/{threads}t/train-b8", "task": "train-b8", "threads": threads, "fn": train, "parameters": params},
        {"id": f"torch/{threads}t/infer-b1", "task": "infer-b1", "threads": threads, "fn": infer(x1)},
        {"id": f"torch/{threads}t/infer-b8", "task": "infer-b8", "threads": threads, "fn": infer(images)},
    ]


def run(workloads, warmup, runs):
    """Warm-ups, then `runs` rounds of one timed run of each workload (all at the current thread count)."""
    for w in workloads:
        for _ in range(warmup):
            w["fn"]()
        w["wall"], w["cpu"] = [], []
    for r in range(runs):
        for w in workloads:
            c0, t0 = time.process_time(), time.perf_counter()
            w["fn"]()
            t1, c1 = time.perf_counter(), time.process_time()
            w["wall"].append((t1 - t0) * 1000)
            w["cpu"].append((c1 - c0) * 1000)
        print(f"  {torch.get_num_threads()} thread(s): round {r + 1}/{runs} done", file=sys.stderr)
    for w in workloads:
        w["medianMs"] = statistics.median(w["wall"])
        w["minMs"] = min(w["wall"])
        w["maxMs"] = max(w["wall"])
        w["medianCpuMs"] = statistics.median(w["cpu"])


def fmt(ms):
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def table(head, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(cells))
    return "\n".join([line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def compare(workloads, bench_path):
    """unetkit's medians from bench.json divided by PyTorch's at the same thread count."""
    with open(bench_path) as f:
        bench = json.load(f)
    torch_by = {(w["task"], w["threads"]): w for w in workloads}
    rows = []
    for m in bench.get("measurements", []):
        if m.get("framework") != "unetkit" or m.get("medianMs") is None:
            continue
        t = torch_by.get((m["task"], m["threads"]))
        if t is None:
            continue
        rows.append([
            m["task"],
            m["backend"],
            str(m["threads"]),
            fmt(m["medianMs"]),
            fmt(t["medianMs"]),
            f"{m['medianMs'] / t['medianMs']:.2f}x",
            f"{m['medianCpuMs'] / t['medianCpuMs']:.2f}x" if m["threads"] == 1 else "(n/a)",
        ])
    if not rows:
        return None
    head = ["task", "unetkit backend", "threads", "unetkit ms", "torch ms", "unetkit/torch (wall)", "(cpu)"]
    return f"unetkit ({bench_path}, {bench.get('date', '?')}) vs PyTorch, same thread count:\n" + table(head, rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed runs per workload (default 3; --quick 1)")
    ap.add_argument("--runs", type=int, default=None, help="timed runs per workload (default 15; --quick 5)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bench-json", default=os.path.join(ROOT, "bench-results", "bench.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-results", "bench-torch.json"))
    args = ap.parse_args()
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    runs = args.runs if args.runs is not None else (5 if args.quick else 15)
    if warmup < 0 or runs < 1:
        ap.error("--warmup must be >= 0 and --runs >= 1")
    threads = [int(t) for t in args.threads.split(",") if t.strip()]

    print(f"PyTorch {torch.__version__} CPU, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{l:.2f}' for l in os.getloadavg())}; SimpleUNet base {BASE}, batch {BATCH}, "
          f"{SIZE}x{SIZE}; {warmup} warm-up(s), {runs} timed runs (interleaved rounds per thread count)")
    workloads = []
    for t in threads:
        torch.set_num_threads(t)
        block = make_workloads(t)
        run(block, warmup, runs)
        workloads += block

    rows = [[w["task"], f"torch {w['threads']}t", str(w["threads"]), fmt(w["medianMs"]), fmt(w["minMs"]),
             fmt(w["maxMs"]), fmt(w["medianCpuMs"]), str(runs)] for w in sorted(workloads, key=lambda w: (TASKS.index(w["task"]), w["threads"]))]
    print(table(["task", "backend", "threads", "median ms", "min ms", "max ms", "cpu ms (median)", "runs"], rows))
    for t in threads[1:]:
        one = next((w for w in workloads if w["task"] == "train-b8" and w["threads"] == threads[0]), None)
        other = next((w for w in workloads if w["task"] == "train-b8" and w["threads"] == t), None)
        if one and other:
            print(f"training step speed-up, {t} threads over {threads[0]}: {one['medianMs'] / other['medianMs']:.2f}x")

    result = {
        "benchmark": "torch-bench",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": torch.__version__,
        "loadavg": list(os.getloadavg()),
        "warmup": warmup,
        "runs": runs,
        "measurements": [{k: v for k, v in w.items() if k != "fn"} for w in workloads],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = f"{args.out}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")

    if os.path.exists(args.bench_json):
        text = compare(workloads, args.bench_json)
        if text:
            print()
            print(text)
    else:
        print(f"(no {args.bench_json}: run `pnpm bench` first for the ratio to unetkit)")


if __name__ == "__main__":
    main()
