"""The rollout rules: how a source is classified and diagnosed, and what readiness needs.

  classification.py  a group of messages and a source: which category, which service
  diagnosis.py       what is wrong with a failing source, and the fix
  sources.py         a domain's sources assessed from its groups, and grouped by service
  checks.py          the go/no-go checks for the next stage, its impact and the advice
  next_record.py     the DMARC record to publish next
  staging.py         the steps to it, each a trial for RFC 7489 and RFC 9989 receivers alike

Pure functions over plain data (groups of messages loaded by
reports.rollout.evidence, a DmarcRecord read by reports.rollout.lint): no
database, no DNS, so every rule is tested with plain data.

Over a window (30 days by default) every source (sending IP) of the policy
domain is named (reports.sources.services), put into one category, and explained.

How a group of messages is classified. Messages of one source that share the
same evidence (verdicts, override reasons, DKIM and SPF results) form a group:

1. **aligned**: the reporter says DMARC passes (policy_evaluated dkim or spf
   is pass). The reporter's verdict is the truth, not our recomputation.
2. **forwarded**: DMARC fails, but the evidence says forwarding: an override
   reason forwarded, mailing_list or trusted_forwarder, or local_policy with
   "arc=pass" in its comment; or the service is a known forwarder or mailing
   list (its DKIM may pass, but for its own domain); or a mailbox provider
   that auto-forwards (Gmail, Outlook.com, GMX...) re-sent a message that
   still carries your domain's (now broken) DKIM signature.
3. **misconfigured**: DMARC fails and the source is a known, legitimate
   service: identified by its DKIM or MAIL FROM domain, or by its reverse DNS
   name or its network (AS) when some authentication passes. Also any source
   whose DKIM or SPF passes for a subdomain of yours but fails only because the
   record asks for strict alignment (adkim=s / aspf=s). When the fix needs a
   subdomain (a custom MAIL FROM, a DKIM d= subdomain) and the record is
   strict, the diagnosis says that the strict tag blocks it, and the
   alternative.
4. **unknown**: nothing of the above: no known service and nothing aligned.
   Usually spoofing, which enforcement is meant to stop.

A source's category is that of its failing messages: "aligned" when fewer than
2% of its messages fail (a stray forward or a reporter quirk is not worth
acting on), otherwise the category with the most failing messages.

The operator's marks (reports.marks) come before the evidence: a failing
group of a source marked "ours" is misconfigured (legitimate, a blocker until
fixed), one marked "not ours" is unknown (what enforcement is for).

Readiness for the next stage (none -> quarantine -> reject) needs all of:
the DMARC record has no errors; no legitimate source is misconfigured; at
least 98% of legitimate mail (aligned + misconfigured) is aligned; no new
legitimate sender in the last 14 days; reports from at least 2 reporters on
at least 14 days of the window; and fresh data (reports.freshness: a report
within the last days, every mailbox polled lately), added by the assessment.

The what-if (reports.rollout.decision) counts, for the next stage only, the
failing messages whose disposition would change from today's, by category,
with forwarded mail that ARC-trusting receivers deliver anyway apart.

The next record keeps rua, ruf, sp, np, fo and the alignment tags, drops
pct, rf and ri, and drops aspf=s/adkim=s when they break senders. The steps
to it (staging.py) start with a trial for both generations of receivers,
`t=y` (RFC 9989) with `pct=0` (RFC 7489), then raise pct (10, 25, 50) with
t=y kept, then publish the full record. Only the first step can be safe today,
and an enforcing one only when the domain is ready: a domain that is not ready
sees the steps "after the fixes", and `rollout --json` lists none in `publish`.
"""

from __future__ import annotations
