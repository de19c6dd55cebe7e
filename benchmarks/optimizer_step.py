"""Time one ``adamlib.optim`` step of every preset against ``torch.optim.AdamW``.

    .venv/bin/python benchmarks/optimizer_step.py [--params 11000000] [--repeats 15] [--presets ...]

For each preset, four optimizers with their own copies of the same float32 parameters (several
tensors, >= 10M values in all) take steps in turn, interleaved in one process: adamlib.optim
(default dispatch), the same with nonfinite_grad="unchecked" (no NaN/Inf check, as torch.optim),
torch.optim.AdamW(foreach=True) and torch.optim.AdamW(fused=True). A preset
whose AMSGrad is on by default is compared with torch's AdamW(amsgrad=True), which keeps the same
extra buffer. Before each step (outside the timing) fresh gradients are written into the
optimizer's ``.grad`` tensors, as ``backward()`` does in training; ``--stale-grads`` leaves them
untouched since the previous step instead, so that a step reads them from memory (this costs
adamlib more, as its NaN/Inf check reads every gradient once before the kernel does).
The table gives the median over repeats of the per-repeat time ratios, and the
fraction reached of the memory-bandwidth bound: a step must read θ, g, m, v and write θ, m, v,
28 bytes per parameter, at best at the copy bandwidth (``Tensor.copy_``, read + write) measured
in the same repeats. Numbers on a shared machine are noisy; run it alone if you can.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adamlib import optim, variants

BYTES_PER_PARAMETER = 28


def tensor_sizes(total: int) -> list[int]:
    """Shapes like a small transformer's: a few large matrices and many small vectors."""
    large = [total * share // 100 for share in (35, 25, 20, 10, 5, 4)]
    small = [(total - sum(large)) // 10] * 10
    return large + small


def make_params(sizes: list[int], seed: int) -> list[tuple[str, torch.Tensor]]:
    """Named parameters with gradients; the small ones are biases, which BERT does not decay."""
    generator = torch.Generator().manual_seed(seed)
    params = []
    for i, n in enumerate(sizes):
        p = torch.randn(n, generator=generator).requires_grad_()
        p.grad = torch.randn(n, generator=generator)
        params.append((f"layer{i}.bias" if n < max(sizes) // 20 else f"layer{i}.weight", p))
    return params


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_preset(name: str, sizes: list[int], repeats: int, copy_step, fresh_grads: bool) -> dict:
    amsgrad = variants.get(name).amsgrad != "off"
    contenders = {
        "adamlib": optim.Adam(make_params(sizes, 0), variant=name),
        "unchecked": optim.Adam(make_params(sizes, 0), variant=name, nonfinite_grad="unchecked"),
        "foreach": torch.optim.AdamW(
            [p for _, p in make_params(sizes, 0)], foreach=True, amsgrad=amsgrad
        ),
        "fused": torch.optim.AdamW(
            [p for _, p in make_params(sizes, 0)], fused=True, amsgrad=amsgrad
        ),
    }
    for optimizer in contenders.values():  # state allocation and first-touch outside the timing
        optimizer.step()
        optimizer.step()
    gradients = [p.grad.clone() for _, p in make_params(sizes, 0)]
    times = {key: [] for key in (*contenders, "copy")}
    for _ in range(repeats):
        for key, optimizer in contenders.items():
            if fresh_grads:
                params = [p for group in optimizer.param_groups for p in group["params"]]
                torch._foreach_copy_([p.grad for p in params], gradients)
            times[key].append(seconds(optimizer.step))
        times["copy"].append(seconds(copy_step))
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", type=int, default=11_000_000, help="parameters in all")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--presets", nargs="*", default=variants.names())
    parser.add_argument(
        "--stale-grads", action="store_true", help="do not rewrite the gradients before each step"
    )
    args = parser.parse_args(argv)

    sizes = tensor_sizes(args.params)
    n = sum(sizes)
    copy_source = torch.randn(4 * n)
    copy_target = torch.empty_like(copy_source)
    copy_bytes = 2 * copy_source.numel() * copy_source.element_size()

    def copy_step():
        copy_target.copy_(copy_source)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {n:,} float32 "
        f"parameters in {len(sizes)} tensors, {args.repeats} interleaved repeats, "
        f"{'stale' if args.stale_grads else 'fresh'} gradients"
    )
    print(
        f"{'preset':22} {'adamlib ms':>10} {'vs foreach':>10} {'vs fused':>9} "
        f"{'% of bound':>10} {'unchecked vs fused':>18} {'copy GB/s':>9}"
    )
    for name in args.presets:
        times = bench_preset(name, sizes, args.repeats, copy_step, not args.stale_grads)
        ours = times["adamlib"]
        bandwidths = [copy_bytes / t for t in times["copy"]]
        bound = [BYTES_PER_PARAMETER * n / bw for bw in bandwidths]
        vs_foreach = statistics.median(a / b for a, b in zip(ours, times["foreach"]))
        vs_fused = statistics.median(a / b for a, b in zip(ours, times["fused"]))
        of_bound = statistics.median(b / a for a, b in zip(ours, bound))
        unchecked_vs_fused = statistics.median(
            a / b for a, b in zip(times["unchecked"], times["fused"])
        )
        label = name + (" *" if variants.get(name).amsgrad != "off" else "")
        print(
            f"{label:22} {1e3 * statistics.median(ours):10.2f} {vs_foreach:9.2f}x "
            f"{vs_fused:8.2f}x {100 * of_bound:9.0f}% {unchecked_vs_fused:17.2f}x "
            f"{statistics.median(bandwidths) / 1e9:9.1f}"
        )
    print(
        "unchecked: the same preset with nonfinite_grad='unchecked' (no NaN/Inf read of the "
        "gradients, as torch.optim)"
    )
    print(
        "* AMSGrad on by default: compared with torch's AdamW(amsgrad=True), and its bound "
        "counts 28 bytes although the maximum buffer adds 8"
    )


if __name__ == "__main__":
    main()
