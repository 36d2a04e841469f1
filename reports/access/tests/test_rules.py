"""The access rules over plain data: coverage of subdomains, roles' actions, superusers."""

from reports.access import rules
from reports.access.rules import OPERATOR, ROLES, VIEWER, Access, Grant


def grant(role, *domains):
    return Grant(domains=frozenset(domains), actions=frozenset(ROLES[role]))


def test_a_monitored_domain_covers_itself_and_its_subdomains_only():
    assert rules.covers("example.com", "example.com")
    assert rules.covers("example.com", "mail.example.com")
    assert rules.covers("Example.COM.", "news.example.com")
    assert not rules.covers("example.com", "badexample.com")
    assert not rules.covers("example.com", "example.com.evil.test")
    assert not rules.covers("mail.example.com", "example.com")


def test_parents_are_the_names_whose_grant_covers_a_domain():
    assert rules.parents("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com", "com"]


def test_a_viewer_reads_but_does_nothing_else():
    access = Access(everything=False, grants=(grant(VIEWER, "example.com"),))
    assert access.may(rules.VIEW, "example.com")
    assert access.may(rules.VIEW, "mail.example.com")
    for action in (rules.UPLOAD, rules.RETRY, rules.REFRESH_DNS, rules.EDIT_ALERTS):
        assert not access.may(action, "example.com")
        assert not access.may(action)
    assert not access.may(rules.VIEW, "other.example")


def test_an_operator_acts_on_their_domains_only():
    access = Access(everything=False, grants=(grant(VIEWER, "a.example"), grant(OPERATOR, "b.example")))
    assert access.may(rules.REFRESH_DNS, "b.example")
    assert not access.may(rules.REFRESH_DNS, "a.example")
    assert access.may(rules.UPLOAD)  # on some domain
    assert access.domains(["b.example", "c.example", "a.example"]) == ["b.example", "a.example"]
    assert access.domains(["a.example", "b.example"], rules.REFRESH_DNS) == ["b.example"]
    assert access.granted_names() == ["a.example", "b.example"]


def test_grants_add_up_and_an_empty_grant_allows_nothing():
    access = Access(everything=False, grants=(grant(OPERATOR), grant(VIEWER, "x.example")))
    assert not access.may(rules.UPLOAD)
    assert access.actions_on("x.example") == frozenset([rules.VIEW])
    assert not Access(everything=False).may(rules.VIEW)


def test_a_superuser_may_do_everything_everywhere():
    access = Access(everything=True)
    assert access.may(rules.EDIT_ALERTS, "anything.example")
    assert access.domains(["a", "b"]) == ["a", "b"]
