"""Importing report files from disk (import_reports, and the demo)."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

from reports.ingest.pipeline import Outcome, ingest_bytes
from reports.ingest.unpack import Limits


def iter_input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and every non-hidden file below directories named, in a stable order.

    File names do not decide what a file is (its first bytes do), so a
    directory's files are all offered; those holding no report come back as
    not-dmarc rather than being skipped silently.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield child
        else:
            yield path


def import_path(path: Path, limits: Limits | None = None) -> list[Outcome]:
    """The reports of one file, stored; the caller announces them (reports_changed), once for all files."""
    limits = limits or Limits.from_settings()
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_input:
            return [
                Outcome(
                    origin,
                    None,
                    "rejected",
                    error=f"The file is {size} bytes, more than the {limits.max_input}-byte input limit.",
                )
            ]
        data = path.read_bytes()
    except OSError as e:
        return [Outcome(origin, None, "rejected", error=f"Cannot read the file: {e.strerror}")]
    return ingest_bytes(data, origin, limits=limits, announce=False)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


@contextmanager
def _fewer_collections():
    """Let the cyclic garbage collector run less often during a bulk import.

    A batch of parsed records is thousands of small objects that live until the
    batch is written, and none of them form cycles. With CPython's defaults the
    collector keeps walking them, and every full collection also walks the whole
    of Django as loaded at start-up: about a sixth of an import's CPU time.
    Freezing what exists now takes start-up out of those walks.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 10_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def import_files(files: list[Path], jobs: int = 1) -> Iterator[tuple[Path, list[Outcome]]]:
    """import_path() over many files, in their order, using up to `jobs` processes.

    Parsing is Python work bound to one core while PostgreSQL works on another;
    with several files, worker processes keep both busy. Each report is still
    stored in its own transaction, so results do not depend on the split.
    """
    with _fewer_collections():
        yield from _import_files(files, jobs)


def _import_files(files: list[Path], jobs: int) -> Iterator[tuple[Path, list[Outcome]]]:
    # Inside a transaction (a caller's atomic block, a test) the work must stay on
    # this connection.
    if jobs <= 1 or len(files) <= 1 or connections["default"].in_atomic_block:
        for path in files:
            yield path, import_path(path)
        return
    # Children must open their own database connections, not share the parent's socket.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        min(jobs, len(files)), mp_context=context, initializer=connections.close_all
    ) as pool:
        yield from zip(files, pool.map(import_path, files), strict=True)
