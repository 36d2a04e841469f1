"""Styled error pages and the favicon."""

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture
def client(client, db):
    # Not a test of access: a superuser sees every domain.
    client.force_login(User.objects.create_superuser("operator", password="pw-operator-1"))
    return client


def test_an_unknown_domain_gets_the_styled_not_found_page(client, scenario):
    response = client.get("/rollout/nosuch.example/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'class="topbar"' in body and "css/dashboard.css" in body
    # The path is not echoed: a 404 also answers for domains outside the user's grants.
    assert "No reports for this domain" in body and "nosuch.example" not in body


def test_the_server_error_page_is_styled_and_needs_no_request(client, settings):
    from django.template import loader

    body = loader.get_template("500.html").render()
    assert "Something went wrong" in body and "css/dashboard.css" in body and "favicon.svg" in body


def test_an_unexpected_error_answers_with_the_styled_500_page(client, monkeypatch):
    from reports.rollups import selection

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selection, "with_data", broken)
    client.raise_request_exception = False
    response = client.get("/?domain=example.com")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content and b"boom" not in response.content


def test_every_page_names_the_favicon_and_the_browsers_default_path_finds_it(client, db):
    assert b'rel="icon" href="/static/favicon.svg"' in client.get("/status/").content
    response = Client().get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
