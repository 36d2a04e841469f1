"""Sign-in throttling through real requests: 5 failures for a username from an address lock that pair."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return User.objects.create_superuser("alice", password="right-password-1")


def sign_in(client, password, url="/login/", username="alice", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def test_five_wrong_passwords_lock_the_pair_even_against_the_right_one(alice):
    client = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(4):
        response = sign_in(client, "wrong")
        assert response.status_code == 200 and b"Please enter a correct username" in response.content
    locked = sign_in(client, "wrong")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content and b"15 minutes" in locked.content

    right = sign_in(client, "right-password-1")
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still signed out


def test_the_lock_is_per_username_and_address(alice):
    User.objects.create_user("bob", password="bob-password-1")
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(5):
        sign_in(attacker, "wrong")
    assert sign_in(attacker, "right-password-1").status_code == 429
    # The same user from another address, and another user from that address, still sign in.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.2"), "right-password-1").status_code == 302
    assert sign_in(attacker, "bob-password-1", username="bob").status_code == 302


def test_the_admin_login_is_throttled_too(alice):
    client = Client(REMOTE_ADDR="198.51.100.3")
    for _ in range(5):
        sign_in(client, "wrong", url="/admin/login/")
    response = sign_in(client, "right-password-1", url="/admin/login/")
    assert response.status_code == 429 and b"Too many failed sign-ins" in response.content
    # A lock earned on the admin's form holds on the dashboard's too.
    assert sign_in(client, "right-password-1").status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(alice):
    client = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, "right-password-1").status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, "right-password-1").status_code == 302


def test_behind_the_tls_proxy_the_address_is_the_one_the_proxy_saw(alice, settings):
    settings.DMARC_BEHIND_TLS_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_PROTO": "https", "secure": True}
    client = Client()
    for _ in range(5):
        # The client forges the first entry; the proxy appends the real address.
        sign_in(client, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.200, 198.51.100.5", **proxy)
    assert (
        sign_in(client, "right-password-1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.5", **proxy).status_code
        == 429
    )
    other = sign_in(Client(), "right-password-1", HTTP_X_FORWARDED_FOR="198.51.100.6", **proxy)
    assert other.status_code == 302
