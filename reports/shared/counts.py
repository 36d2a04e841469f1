"""Message counts: the one shape in which every rollup, page and export carries them.

Every figure is a number of messages (the sum of the records' `count`), never of records.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from reports.shared.vocabulary import ALIGNED_SHARE


@dataclass
class Counts:
    messages: int = 0
    dmarc_pass: int = 0  # the reporter's verdict: DKIM or SPF passes, aligned
    dkim_pass: int = 0  # policy_evaluated dkim=pass (aligned)
    spf_pass: int = 0  # policy_evaluated spf=pass (aligned)
    quarantined: int = 0
    rejected: int = 0

    @property
    def dmarc_fail(self) -> int:
        return self.messages - self.dmarc_pass

    @property
    def delivered(self) -> int:
        """Messages with disposition none (or pass): neither quarantined nor rejected."""
        return self.messages - self.quarantined - self.rejected

    @staticmethod
    def grade(pct: float | None) -> str:
        """CSS class of a pass percentage: all but fully passing is worth a look."""
        if pct is None:
            return "muted"
        return "good" if pct >= 100 * ALIGNED_SHARE else "warnc" if pct >= 90 else "bad"

    @property
    def grades(self) -> dict[str, str]:
        """Mail is judged by DMARC: an SPF (or DKIM) alignment shortfall is neutral ("muted") while DMARC
        passes anyway, as with Mailchimp's own return path beside aligned DKIM."""
        dmarc = self.grade(self.dmarc_pct)
        out = {"dmarc": dmarc}
        for k in ("dkim", "spf"):
            own = self.grade(getattr(self, f"{k}_pct"))
            out[k] = "muted" if own != "good" and dmarc == "good" else own
        return out

    def pct(self, part: int) -> float | None:
        return 100.0 * part / self.messages if self.messages else None

    @property
    def dmarc_pct(self):
        return self.pct(self.dmarc_pass)

    @property
    def dkim_pct(self):
        return self.pct(self.dkim_pass)

    @property
    def spf_pct(self):
        return self.pct(self.spf_pass)


# The names of the sums, in the order the rollup tables and their SQL keep them.
FIELDS = tuple(f.name for f in fields(Counts))
