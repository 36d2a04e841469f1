"""The registry of pages (reports.harness.pages) covers every URL pattern, so that the crawl, the
access, fuzz and header tests reach every page, including the ones added later."""

from django.urls import URLPattern, URLResolver, get_resolver

from reports.harness import pages


def patterns(resolvers=None, prefix="", namespace=""):
    """(key, route) of every URL pattern: its name with its namespace, or its route when it has none."""
    for p in get_resolver().url_patterns if resolvers is None else resolvers:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from patterns(p.url_patterns, prefix + str(p.pattern), ns)
        else:
            assert isinstance(p, URLPattern)
            route = prefix + str(p.pattern)
            yield (namespace + p.name if p.name else route), route


def test_every_url_pattern_has_an_entry_in_the_registry_of_pages():
    registered = {p.name for p in pages.every_page()}
    missing = [f"{key}  ({route})" for key, route in patterns() if key not in registered]
    assert not missing, (
        "These URL patterns have no entry in reports/harness/pages.py (add one to PAGES: how to build"
        " its URL, who may open it, its methods and query parameters):\n" + "\n".join(missing)
    )


def test_the_registry_names_no_pattern_that_is_gone():
    existing = {key for key, _ in patterns()}
    assert not [p.name for p in pages.every_page() if p.name not in existing]


def test_each_entry_is_named_once_and_says_who_may_open_it():
    names = [p.name for p in pages.every_page()]
    assert len(names) == len(set(names))
    for p in pages.every_page():
        assert p.may and p.may <= set(pages.EVERYONE), p.name
        assert p.methods and set(p.methods) <= {"GET", "POST"}, p.name
        assert p.scope in (pages.NONE, pages.QUERY, pages.PATH), p.name
