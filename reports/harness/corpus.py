"""Where the tests find the shared corpus of real reports."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings


def corpus_dir() -> Path:
    """DMARC_CORPUS, else shared/corpus beside this checkout or, for a local clone
    (say /tmp/fresh) or a worktree, beside the checkout it was cloned from."""
    if os.environ.get("DMARC_CORPUS"):
        candidates = [Path(os.environ["DMARC_CORPUS"])]
    else:
        base = Path(settings.BASE_DIR)
        candidates = [base.parent / "shared" / "corpus"]
        origin = subprocess.run(
            ["git", "-C", str(base), "config", "--get", "remote.origin.url"], capture_output=True, text=True
        ).stdout.strip()
        if origin and Path(origin).is_dir():
            candidates.append(Path(origin).resolve().parent / "shared" / "corpus")
        # A git worktree (say /work/wt/NAME of /work/main): beside the main checkout.
        common = subprocess.run(
            ["git", "-C", str(base), "rev-parse", "--git-common-dir"], capture_output=True, text=True
        ).stdout.strip()
        if common:
            candidates.append((base / common).resolve().parent.parent / "shared" / "corpus")
    path = next((c for c in candidates if c.is_dir()), candidates[0])
    assert path.is_dir(), f"the shared corpus is missing at {path} (set DMARC_CORPUS)"
    return path
