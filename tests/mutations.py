"""Break the library on purpose and report which tests notice: the test suite's teeth.

    .venv/bin/python tests/mutations.py                 # every mutation
    .venv/bin/python tests/mutations.py eps-inside-sqrt # some, by name
    .venv/bin/python tests/mutations.py --list

For each mutation, the repository (tracked and untracked, not ignored, files) is copied to a
temporary directory, one string of one file is replaced (it must occur exactly once, so a stale
mutation fails loudly instead of testing nothing), and pytest runs there with the copy first on
PYTHONPATH, so that both the tests and the chapter kernels they start import the broken library.
The report lists, per mutation, the tests that fail in the copy but pass unmutated. A mutation
that no test catches is a gap in the suite. Not a test module: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import shlex
import os
import re
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
    # The torch fast path maps every form onto torch's fused kernel; break that mapping.
    Mutation(
        "fused-folded-eps-unscaled",
        "adamlib/_kernels.py",
        "eps = config.eps if explicit else config.eps / sqrt_bc2",
        "eps = config.eps",
    ),
    Mutation(
        "fused-decay-ignores-bias-correction",
        "adamlib/_kernels.py",
        '"bias_corrected_lr": folded_lr,',
        '"bias_corrected_lr": lr,',
    ),
]

FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
SUMMARY_LINE = re.compile(r"^=* ?(\d+ (?:passed|failed|errors?|skipped|deselected)\b.*? in [\d.]+s\S*)(?: =+)?$", re.M)


def _copy_repository(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file() and "node_modules" not in source.parts:
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _apply(mutation: Mutation, root: Path) -> None:
    path = root / mutation.path
    text = path.read_text()
    count = text.count(mutation.old)
    if count != 1:
        raise SystemExit(
            f"mutation {mutation.name!r}: {mutation.old!r} occurs {count} times in "
            f"{mutation.path}, expected once; update MUTATIONS"
        )
    path.write_text(text.replace(mutation.old, mutation.new))


def _failing_tests(root: Path, pytest_args: list[str]) -> tuple[set[str], str, float]:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "--tb=no", "-p", "no:cacheprovider", *pytest_args],
        cwd=root, env=environment, capture_output=True, text=True,
    )
    summary = SUMMARY_LINE.findall(run.stdout)
    return set(FAILED_LINE.findall(run.stdout)), (summary[-1] if summary else run.stdout[-500:]), time.perf_counter() - start


def _run(mutation: Mutation | None, pytest_args: list[str]) -> tuple[set[str], str, float]:
    with tempfile.TemporaryDirectory(prefix="adam-mutation-") as directory:
        root = Path(directory)
        _copy_repository(root)
        if mutation is not None:
            _apply(mutation, root)
        return _failing_tests(root, pytest_args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument(
        "--pytest-args", default="-m 'not browser'",
        help="pytest arguments (default: skip the browser tests, which check the website, not adamlib)",
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
    pytest_args = shlex.split(options.pytest_args)

    baseline, summary, seconds = _run(None, pytest_args)
    print(f"unmutated: {summary} ({seconds:.0f} s)")
    for test in sorted(baseline):
        print(f"  already failing: {test}")
    uncaught = []
    for mutation in selected:
        failing, summary, seconds = _run(mutation, pytest_args)
        caught = sorted(failing - baseline)
        print(f"\n{mutation.name} ({mutation.path}): {summary} ({seconds:.0f} s)")
        print(f"  {mutation.old!r} -> {mutation.new!r}")
        for test in caught:
            print(f"  caught by {test}")
        if not caught:
            print("  NOT CAUGHT by any test")
            uncaught.append(mutation.name)
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
