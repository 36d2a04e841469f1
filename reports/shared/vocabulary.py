"""The words the rollout assistant, the alerts and the pages share: a source's category, a domain's
stage, and the thresholds a verdict is judged by."""

# What a source's failing mail is (reports.rollout.rules.classification explains each).
ALIGNED, FORWARDED, MISCONFIGURED, UNKNOWN = "aligned", "forwarded", "misconfigured", "unknown"
CATEGORIES = (ALIGNED, FORWARDED, MISCONFIGURED, UNKNOWN)
FAILING = (FORWARDED, MISCONFIGURED, UNKNOWN)
LEGITIMATE = (ALIGNED, MISCONFIGURED)

# The stages of a DMARC record's policy (p=), in the order a domain moves through them.
NONE, QUARANTINE, REJECT = "none", "quarantine", "reject"
STAGES = (NONE, QUARANTINE, REJECT)

# At least this share of legitimate mail must be aligned for the next stage; a page grades a pass rate
# from it, and an alert says a source "was aligned" above it.
ALIGNED_SHARE = 0.98
# A source whose failing share is under this still counts as aligned: a stray forward is not worth acting on.
NOISE_SHARE = 0.02
# No new legitimate sender for this many days; reports from this many reporters on this many days.
NEW_SOURCE_DAYS = 14
MIN_REPORTERS = 2
MIN_DAYS = 14
