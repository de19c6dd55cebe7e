"""Freshness of the book's execution cache (`_build/.jupyter_cache`).

jupyter-cache keys an executed notebook on its code cells alone, so after a change to `adamlib` or
to a pinned package it would keep serving outputs computed by the old code. This module
fingerprints what a chapter's outputs depend on besides its own cells and records the fingerprint
inside the cache: `make book` runs it as a script to empty a stale cache before building, and
`tests/notebooks.py` reuses cached outputs only when the fingerprint matches. It never executes
notebooks itself.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["cache"]
FINGERPRINT_NAME = "inputs.sha256"
# Everything outside a notebook that its outputs depend on, relative to the repository root
# (glob patterns): the figures' translations too, since `show_figure` glues translated copies.
CHAPTER_INPUTS = (
    "adamlib",
    "requirements.txt",
    "tests/transcriptions",
    "locale/*/LC_MESSAGES/figures.po",
)


def _input_files(root: Path) -> list[Path]:
    files = []
    for pattern in CHAPTER_INPUTS:
        for path in root.glob(pattern):
            if path.is_dir():
                files += [
                    p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                ]
            elif path.is_file():
                files.append(path)
    return sorted(files)


def fingerprint(root: Path = ROOT) -> str:
    """SHA-256 over the names and contents of `CHAPTER_INPUTS` under `root`."""
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_fresh(root: Path = ROOT) -> bool:
    """True when every output in the cache was computed with the current inputs."""
    recorded = root / CACHE_DIR.relative_to(ROOT) / FINGERPRINT_NAME
    return recorded.is_file() and recorded.read_text().strip() == fingerprint(root)


def invalidate_if_stale(root: Path = ROOT) -> bool:
    """Empty a stale cache, and the build state that holds its outputs; return whether it was stale.

    Sphinx re-reads only pages whose source changed, so the pickled doctrees and
    `jupyter_execute/` would keep serving old outputs of unchanged chapters: they go too.
    """
    if is_fresh(root):
        return False
    cache = root / CACHE_DIR.relative_to(ROOT)
    for derived in (cache, cache.parent / ".doctrees", cache.parent / "jupyter_execute"):
        shutil.rmtree(derived, ignore_errors=True)
    cache.mkdir(parents=True)
    (cache / FINGERPRINT_NAME).write_text(fingerprint(root) + "\n")
    return True
