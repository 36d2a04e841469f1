"""Importing report files from disk (import_reports, and the demo)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .ingest import Outcome, ingest_bytes
from .unpack import Limits


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
    limits = limits or Limits.from_settings()
    source = str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_input:
            return [
                Outcome(
                    source,
                    None,
                    "rejected",
                    error=f"The file is {size} bytes, more than the {limits.max_input}-byte input limit.",
                )
            ]
        data = path.read_bytes()
    except OSError as e:
        return [Outcome(source, None, "rejected", error=f"Cannot read the file: {e.strerror}")]
    return ingest_bytes(data, source, limits=limits)
