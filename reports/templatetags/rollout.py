"""Rollout verdicts for the dashboard's pages.

    {% load rollout %}
    {% domain_stage domain as st %}              -> {"stage", "next_stage", "ready", "blocking"}
    {% sender_verdict domain ip rng as v %}      -> readiness.Source or None (rng: start/end dates)

Both read the database only (reverse DNS and DNS answers from their caches), so
they never make a page wait on the DNS.
"""

from datetime import timedelta

from django import template

from reports.rollout import readiness as rollout

register = template.Library()


@register.simple_tag
def domain_stage(domain):
    if not domain:
        return None
    return rollout.summary(domain)


@register.simple_tag
def sender_verdict(domain, ip, rng):
    if not domain or not ip or rng is None:
        return None
    # The verdict is about how the sender is set up now, so it reads the last
    # rollout window of the range: older mail may predate a fix, and a year of a
    # busy sender's raw records would make the drill-down slow.
    start = max(rng.start, rng.end - timedelta(days=rollout.WINDOW_DAYS - 1))
    return rollout.source_verdict(domain, ip, start, rng.end)
