"""Styled error pages and the favicon."""

from django.test import Client


def test_an_unknown_domain_gets_the_styled_not_found_page(superuser_client, scenario):
    response = superuser_client.get("/rollout/nosuch.example/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'class="topbar"' in body and "css/dashboard.css" in body
    # The path is not echoed: a 404 also answers for domains outside the user's grants.
    assert "No reports for this domain" in body and "nosuch.example" not in body


def test_the_server_error_page_is_styled_and_needs_no_request(superuser_client, settings):
    from django.template import loader

    body = loader.get_template("500.html").render()
    assert "Something went wrong" in body and "css/dashboard.css" in body and "favicon.svg" in body


def test_an_unexpected_error_answers_with_the_styled_500_page(superuser_client, monkeypatch):
    from reports.rollups import selection

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selection, "with_data", broken)
    superuser_client.raise_request_exception = False
    response = superuser_client.get("/?domain=example.com")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content and b"boom" not in response.content


def test_every_page_names_the_favicon_and_the_browsers_default_path_finds_it(superuser_client, db):
    assert b'rel="icon" href="/static/favicon.svg"' in superuser_client.get("/status/").content
    response = Client().get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
