"""The records to publish, step by step, on the way to a stricter policy (see reports.rollout.rules).

Two generations of receivers read the record differently (docs/dmarc-notes.md §13): RFC 7489
receivers read `pct=` and ignore `t=`; RFC 9989 receivers read `t=` and ignore `pct=`. A step meant
as a trial must therefore say it twice, `t=y` and `pct` below 100, or it is a full step for one of
them. RFC 9989 defines `t=` over the policy "declared in the p=, sp= and/or np= tags": while `t=y`
is set, its receivers apply all three one level lower. RFC 7489's `pct=` covers the domain's whole
mail stream, subdomain mail under `sp=` included; RFC 7489 does not know `np=` (it uses `sp=`).
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.shared.vocabulary import STAGES

# The pct of each trial step for RFC 7489 receivers; RFC 9989 receivers stay in test mode (t=y)
# throughout and go to the full policy with the last step, the only one without t=y and pct.
PCT_STEPS = (0, 10, 25, 50)
FULL = 100


@dataclass(frozen=True)
class Step:
    record: str
    when: str  # what must hold before it is published
    rfc7489: str  # what receivers that follow RFC 7489 do with it
    rfc9989: str  # what receivers that follow RFC 9989 do with it
    subdomains: str  # what happens to sp= and np= meanwhile
    now: bool = False  # safe to publish today
    enforcing: bool = True  # applies a policy stronger than today's to some mail

    def as_json(self) -> dict:
        return {
            "record": self.record,
            "when": self.when,
            "now": self.now,
            "rfc7489": self.rfc7489,
            "rfc9989": self.rfc9989,
            "subdomains": self.subdomains,
        }


def with_tag(record: str, tag: str, value: str) -> str:
    """The record with tag=value right after p= (replacing the tag if present)."""
    parts = [p.strip() for p in record.split(";") if p.strip()]
    parts = [p for p in parts if p.split("=", 1)[0].strip().lower() != tag]
    at = next((i + 1 for i, p in enumerate(parts) if p.split("=", 1)[0].strip().lower() == "p"), len(parts))
    parts.insert(at, f"{tag}={value}")
    return "; ".join(parts)


def lower(policy: str) -> str:
    return STAGES[max(0, STAGES.index(policy) - 1)]


def _tags(record: str) -> dict[str, str]:
    out = {}
    for part in record.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip().lower()] = v.strip().lower()
    return out


def _subdomains(target: dict[str, str], policy: str, pct: int, testing: bool) -> str:
    sp = target.get("sp") if target.get("sp") in STAGES else policy
    np = target.get("np") if target.get("np") in STAGES else sp
    written = f"sp={sp}" + ("" if "sp" in target else " (from p=)")
    written_np = f"np={np}" + ("" if "np" in target else " (from sp= or p=)")
    if not testing and pct >= FULL:
        return f"Subdomains: {written} and {written_np} apply in full for every receiver."
    nine = (
        f"RFC 9989 receivers apply {written} as sp={lower(sp)} and {written_np} as np={lower(np)} "
        "while t=y is set (t= covers p=, sp= and np=)"
        if testing
        else f"RFC 9989 receivers apply {written} and {written_np} in full (they ignore pct=)"
    )
    seven = (
        f"RFC 7489 receivers apply pct={pct} to subdomain mail too ({written} for {pct}% of failing mail, "
        f"sp={lower(sp)} for the rest) and do not know np=."
    )
    return f"Subdomains: {nine}; {seven}"


def _step(base: str, policy: str, pct: int, testing: bool, when: str) -> Step:
    record = base
    if pct < FULL:
        record = with_tag(record, "pct", str(pct))
    if testing:
        record = with_tag(record, "t", "y")
    below = lower(policy)
    if pct >= FULL:
        seven = f"RFC 7489 receivers apply p={policy} to all failing mail."
    elif pct == 0:
        seven = (
            f"RFC 7489 receivers (they ignore t=) apply p={policy} to none of the failing mail: "
            f"pct=0 gives all of it p={below}."
        )
    else:
        seven = (
            f"RFC 7489 receivers (they ignore t=) apply p={policy} to {pct}% of failing mail "
            f"and p={below} to the rest."
        )
    if testing:
        nine = (
            f"RFC 9989 receivers (they ignore pct=) are in test mode: they apply p={below} "
            f"and report what p={policy} would do."
        )
    else:
        nine = f"RFC 9989 receivers (they ignore pct=) apply p={policy} to all failing mail."
    return Step(record, when, seven, nine, _subdomains(_tags(base), policy, pct, testing))


def plan(base: str, stage: str, next_stage: str | None, current: dict[str, str], ready: bool) -> list[Step]:
    """The steps from today's record (`current`, its tags) to `base`, the record of `next_stage`.

    Only the first step can be safe today, and an enforcing one only when the domain is `ready`:
    each later step waits for a week of reports at the step before it.
    """
    if next_stage is None:
        return []
    if next_stage == "none":
        # A monitoring record changes no delivery: safe whatever the reports say.
        step = _step(
            base, "none", FULL, False, "Publish now: monitoring only, no mail is treated differently."
        )
        return [Step(**{**step.__dict__, "now": True, "enforcing": False})]
    current = {k.lower(): str(v).strip().lower() for k, v in current.items()}
    cur_pct = _pct(current.get("pct"))
    cur_testing = current.get("t") == "y"
    rungs: list[tuple[int, bool]]
    if next_stage != stage:
        rungs = [(p, True) for p in PCT_STEPS] + [(FULL, False)]
    elif cur_testing:
        # Mid-way through a trial of this stage: the rungs above the current pct.
        rungs = [(p, True) for p in PCT_STEPS if p > cur_pct] + [(FULL, False)]
    else:
        # pct below 100 without t=y: RFC 9989 receivers already apply it in full; only pct is left.
        rungs = [(p, False) for p in PCT_STEPS if p > cur_pct] + [(FULL, False)]
    steps = []
    for n, (pct, testing) in enumerate(rungs):
        if n == 0:
            what = "a trial for every receiver" if testing and pct == 0 else "the next step"
            when = (
                f"Publish now, as {what}."
                if ready
                else f"After the fixes above, once the domain is ready: {what}."
            )
        elif pct < FULL:
            when = (
                "After at least a week of reports at the step before with nothing legitimate newly failing."
            )
        else:
            when = (
                "After at least a week of reports at the step before with nothing legitimate newly failing: "
                f"the full policy, p={next_stage} for all failing mail."
            )
        step = _step(base, next_stage, pct, testing, when)
        steps.append(Step(**{**step.__dict__, "now": n == 0 and ready}))
    return steps


def _pct(value: str | None) -> int:
    try:
        return max(0, min(FULL, int(value))) if value is not None else FULL
    except ValueError:
        return FULL
