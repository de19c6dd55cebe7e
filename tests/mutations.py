"""Break the library on purpose and report which tests notice: the test suite's teeth.

    .venv/bin/python tests/mutations.py                 # every mutation
    .venv/bin/python tests/mutations.py eps-inside-sqrt # some, by name
    .venv/bin/python tests/mutations.py --list
    .venv/bin/python tests/mutations.py --fast          # the library's tests only, own first
    .venv/bin/python tests/mutations.py --check         # every mutation still applies

For each mutation, the repository (tracked and untracked, not ignored, files) is copied to a
temporary directory, one string of one file is replaced (it must occur exactly once, so a stale
mutation fails loudly instead of testing nothing), and pytest runs there with the copy first on
PYTHONPATH, so that both the tests and the chapter kernels they start import the broken library.
The report lists, per mutation, the tests that fail in the copy but pass unmutated. A mutation
that no test catches is a gap in the suite. Not a test module: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str


MUTATIONS = [
    # -- reference: the specification ----------------------------------------------------------
    Mutation(
        "no-bias-correction",
        "adamlib/reference.py",
        "bc1, bc2 = 1 - beta1**t, 1 - beta2**t",
        "bc1, bc2 = 1.0, 1.0",
    ),
    Mutation(
        "eps-inside-sqrt",
        "adamlib/reference.py",
        "adam_step = lr * m_hat / (np.sqrt(v_hat + eps_root) + eps)",
        "adam_step = lr * m_hat / np.sqrt(v_hat + eps_root + eps)",
    ),
    Mutation(
        "decay-times-bias-corrected-lr",
        "adamlib/reference.py",
        '"lr": lr,',
        '"lr": lr * np.sqrt(bc2) / bc1,',
    ),
    Mutation(
        "first-moment-uses-beta2",
        "adamlib/reference.py",
        "m = beta1 * m + (1 - beta1) * g",
        "m = beta1 * m + (1 - beta2) * g",
    ),
    Mutation(
        "step-counter-off-by-one",
        "adamlib/reference.py",
        't = state["step"] + 1',
        't = state["step"] + 2',
    ),
    # A grid whose members' λ are mixed zero and non-zero must decay the non-zero ones.
    Mutation(
        "grid-decays-only-if-every-member-does",
        "adamlib/reference.py",
        "if not l2 and np.any(wd != 0):",
        "if not l2 and np.all(wd != 0):",
    ),
    # -- _kernels: the fused and foreach paths -------------------------------------------------
    # The torch fast path maps every form onto torch's fused kernel; break that mapping.
    Mutation(
        "fused-folded-eps-unscaled",
        "adamlib/_kernels.py",
        "eps = config.eps if explicit else config.eps / math.sqrt(scalars.bc2)",
        "eps = config.eps",
    ),
    Mutation(
        "fused-decay-ignores-bias-correction",
        "adamlib/_kernels.py",
        '"bias_corrected_lr": folded_lr,',
        '"bias_corrected_lr": lr,',
    ),
    # AMSGrad of v̂ without bias correction is the maximum of the raw v (no preset has it).
    Mutation(
        "fused-vhat-rescaled-without-bias-correction",
        "adamlib/_kernels.py",
        'vhat_scale = scalars.bc2 if config.amsgrad == "max_vhat" and explicit else None',
        'vhat_scale = scalars.bc2 if config.amsgrad == "max_vhat" else None',
    ),
    # A decay of the updated θ with no bias correction (no preset has it): rescale order.
    Mutation(
        "fused-updated-decay-ignored-without-bias-correction",
        "adamlib/_kernels.py",
        "        lr = lr * scalars.bc1 / math.sqrt(scalars.bc2)\n"
        "    if _decays_decoupled(config, scalars) and",
        "        return lr * scalars.bc1 / math.sqrt(scalars.bc2)\n"
        "    if _decays_decoupled(config, scalars) and",
    ),
    Mutation(
        "foreach-eps-root-dropped-without-bias-correction",
        "adamlib/_kernels.py",
        "denom = torch._foreach_add(v_used, eps_root)",
        "denom = torch._foreach_add(v_used, 0.0)",
    ),
    # -- optim: the torch.optim.Optimizer ------------------------------------------------------
    Mutation(
        "group-cache-ignores-parameter-count",
        "adamlib/optim.py",
        'key.append(len(group["params"]))',
        "key.append(0)",
    ),
    Mutation(
        "step-counter-always-float32",
        "adamlib/optim.py",
        "return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32",
        "return torch.float32",
    ),
    Mutation(
        "non-contiguous-tensors-sent-to-the-kernel",
        "adamlib/optim.py",
        "                p.is_contiguous()\n                and g.is_contiguous()",
        "                True\n                or g.is_contiguous()",
    ),
    # -- config: validation and exclusions -----------------------------------------------------
    Mutation(
        "exclusion-matches-only-at-the-start",
        "adamlib/config.py",
        "any(re.search(pattern, name)",
        "any(re.match(pattern, name)",
    ),
    Mutation(
        "max-vhat-with-folded-accepted",
        "adamlib/config.py",
        'if self.amsgrad == "max_vhat" and self.bias_correction == "folded":',
        "if False:",
    ),
    # -- variants: the presets' defaults -------------------------------------------------------
    Mutation(
        "keras-adamw-default-eps",
        "adamlib/variants.py",
        "AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.004,",
        "AdamConfig(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.004,",
    ),
    # -- tree: parameter structures ------------------------------------------------------------
    Mutation(
        "tuple-params-come-back-as-a-list",
        "adamlib/tree.py",
        "return type(like)(new_leaves)",
        "return list(new_leaves)",
    ),
    # -- schedules -----------------------------------------------------------------------------
    Mutation(
        "hf-warmup-divides-by-zero-when-it-fills-the-schedule",
        "adamlib/schedules.py",
        "max(0.0, (total_steps - current_step) / max(1, total_steps - warmup_steps))",
        "max(0.0, (total_steps - current_step) / (total_steps - warmup_steps))",
    ),
    Mutation(
        "bert-decay-not-clamped-after-total-steps",
        "adamlib/schedules.py",
        "return 1.0 - min(global_step, total_steps) / total_steps",
        "return 1.0 - global_step / total_steps",
    ),
    # -- radam ---------------------------------------------------------------------------------
    # Not ``>`` -> ``>=`` at the threshold: ρ_t never equals 5 exactly in floating point, so that
    # break changes nothing a test could see (it survived: an equivalent mutant).
    Mutation(
        "radam-momentum-step-without-bias-correction",
        "adamlib/radam.py",
        "p_new = p - lr * m_hat  # the variance of l_t is intractable: momentum step",
        "p_new = p - lr * m  # the variance of l_t is intractable: momentum step",
    ),
    Mutation(
        "radam-epsilon-inside-sqrt",
        "adamlib/radam.py",
        "adaptive = math.sqrt(1 - beta2**t) / (np.sqrt(v) + config.eps)",
        "adaptive = math.sqrt(1 - beta2**t) / np.sqrt(v + config.eps)",
    ),
    # -- models --------------------------------------------------------------------------------
    Mutation(
        "every-epoch-reuses-one-permutation",
        "adamlib/models.py",
        "np.concatenate([rng.permutation(n_samples) for _ in range(epochs)])",
        "np.concatenate([rng.permutation(n_samples)] * epochs)",
    ),
    Mutation(
        "unshifted-softmax",
        "adamlib/models.py",
        "shifted = z - z.max(axis=2, keepdims=True)",
        "shifted = z",
    ),
    Mutation(
        "diverged-member-state-keeps-moving",
        "adamlib/models.py",
        '(_keep_frozen(alive, value, state[key]) if key != "step" else value)',
        "value",
    ),
]

LIBRARY_TESTS = [
    "tests/test_adamlib_errors.py",
    "tests/test_adamlib_presets.py",
    "tests/test_adamlib_properties.py",
    "tests/test_adamlib_reference.py",
    "tests/test_adamlib_switch_space.py",
    "tests/test_optim.py",
    "tests/test_models.py",
    "tests/test_radam.py",
    "tests/test_schedules.py",
]
"""``--fast``: the library's own tests, without the chapters'."""

OWN_TESTS = {
    "adamlib/optim.py": ["tests/test_optim.py"],
    "adamlib/_kernels.py": ["tests/test_adamlib_switch_space.py", "tests/test_optim.py"],
    "adamlib/models.py": ["tests/test_models.py"],
    "adamlib/radam.py": ["tests/test_radam.py"],
    "adamlib/schedules.py": ["tests/test_schedules.py"],
    "adamlib/tree.py": ["tests/test_adamlib_reference.py"],
}
"""``--fast`` runs these first for a mutation of that module, and stops at the first failure,
so that a caught mutation costs seconds, not a whole run of the library's tests."""


def _fast_args(mutation: Mutation | None) -> list[str]:
    first = OWN_TESTS.get(mutation.path, []) if mutation else []
    ordered = first + [t for t in LIBRARY_TESTS if t not in first]
    return [*ordered, "-m", "not slow and not browser"] + (["-x"] if mutation else [])


FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
SUMMARY_LINE = re.compile(
    r"^=* ?(\d+ (?:passed|failed|errors?|skipped|deselected)\b.*? in [\d.]+s\S*)(?: =+)?$", re.M
)


def _copy_repository(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file() and "node_modules" not in source.parts:
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _apply(mutation: Mutation, root: Path, write: bool = True) -> None:
    path = root / mutation.path
    text = path.read_text()
    count = text.count(mutation.old)
    if count != 1:
        raise SystemExit(
            f"mutation {mutation.name!r}: {mutation.old!r} occurs {count} times in "
            f"{mutation.path}, expected once; update MUTATIONS"
        )
    if write:
        path.write_text(text.replace(mutation.old, mutation.new))


def _failing_tests(root: Path, pytest_args: list[str]) -> tuple[set[str], str, float]:
    environment = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    )
    start = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rfE",
            "--tb=no",
            "-p",
            "no:cacheprovider",
            *pytest_args,
        ],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )
    summary = SUMMARY_LINE.findall(run.stdout)
    return (
        set(FAILED_LINE.findall(run.stdout)),
        (summary[-1] if summary else run.stdout[-500:]),
        time.perf_counter() - start,
    )


def _run(mutation: Mutation | None, pytest_args: list[str]) -> tuple[set[str], str, float]:
    with tempfile.TemporaryDirectory(prefix="adam-mutation-") as directory:
        root = Path(directory)
        _copy_repository(root)
        if mutation is not None:
            _apply(mutation, root)
        return _failing_tests(root, pytest_args)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument(
        "--pytest-args",
        default="-m 'not browser'",
        help="pytest arguments (default: skip the browser tests, which check the website, "
        "not adamlib)",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="run only the library's own tests (not the chapters'), the mutated module's own "
        "first, stopping at the first failure (see LIBRARY_TESTS, OWN_TESTS)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that every mutation applies (its text occurs once), run no tests",
    )
    options = parser.parse_args()
    if options.list:
        for mutation in MUTATIONS:
            print(f"{mutation.name}: {mutation.path}: {mutation.old!r} -> {mutation.new!r}")
        return 0
    unknown = set(options.names) - {m.name for m in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutations {sorted(unknown)}; see --list")
    selected = [m for m in MUTATIONS if not options.names or m.name in options.names]
    if options.check:
        for mutation in selected:
            _apply(mutation, ROOT, write=False)
        print(f"{len(selected)} mutations apply")
        return 0
    given = shlex.split(options.pytest_args)

    def pytest_args(mutation: Mutation | None) -> list[str]:
        return _fast_args(mutation) if options.fast else given

    baseline, summary, seconds = _run(None, pytest_args(None))
    print(f"unmutated: {summary} ({seconds:.0f} s)")
    for test in sorted(baseline):
        print(f"  already failing: {test}")
    uncaught = []
    kills: dict[str, list[int]] = {}
    for mutation in selected:
        failing, summary, seconds = _run(mutation, pytest_args(mutation))
        caught = sorted(failing - baseline)
        print(f"\n{mutation.name} ({mutation.path}): {summary} ({seconds:.0f} s)")
        print(f"  {mutation.old!r} -> {mutation.new!r}")
        for test in caught:
            print(f"  caught by {test}")
        if not caught:
            print("  NOT CAUGHT by any test")
            uncaught.append(mutation.name)
        counts = kills.setdefault(mutation.path, [0, 0])
        counts[0] += bool(caught)
        counts[1] += 1
    print("\ncaught per module:")
    for path, (caught_count, total) in kills.items():
        print(f"  {path}: {caught_count}/{total}")
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
