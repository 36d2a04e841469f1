"""The rules of single sign-on, without database or network."""

from reports.sso.rules import (
    Expected,
    claimed_groups,
    groups_after_sign_in,
    id_token_problem,
    names,
    username_base,
)

NOW = 1_800_000_000
EXPECTED = Expected(issuer="https://idp.example", client_id="dmarc", nonce="n-1", now=NOW)
GOOD = {
    "iss": "https://idp.example",
    "aud": "dmarc",
    "exp": NOW + 300,
    "iat": NOW - 5,
    "nonce": "n-1",
    "sub": "u1",
}


def problem(**changes):
    return id_token_problem({**GOOD, **changes}, EXPECTED)


def test_a_good_token_passes_and_each_wrong_claim_has_its_reason():
    assert problem() is None
    assert problem(aud=["dmarc"]) is None
    assert "another provider" in problem(iss="https://evil.example")
    assert "another application" in problem(aud="other-app")
    assert "another application" in problem(aud=["dmarc", "other-app"])  # no azp naming this one
    assert problem(aud=["dmarc", "other-app"], azp="dmarc") is None
    assert "expired" in problem(exp=NOW - 61)
    assert problem(exp=NOW - 30) is None  # within the clock leeway
    assert "future" in problem(iat=NOW + 3600)
    assert "does not belong" in problem(nonce="n-0")
    assert "subject" in problem(sub="")
    assert "expired" in id_token_problem({k: v for k, v in GOOD.items() if k != "exp"}, EXPECTED)
    assert "does not belong" in id_token_problem(GOOD, Expected("https://idp.example", "dmarc", None, NOW))


def test_groups_come_from_the_claim_but_never_a_role():
    assert claimed_groups({"groups": ["b", " a ", "", 7, "x" * 151]}, "groups") == ["a", "b"]
    assert claimed_groups({"roles": "dmarc-admins"}, "roles") == ["dmarc-admins"]
    assert claimed_groups({}, "groups") == []
    after = groups_after_sign_in(
        ["team-a", "operator"], current=["viewer", "team-old"], roles={"viewer", "operator"}
    )
    assert after == {"viewer", "team-a"}  # team-old left, operator not taken from the provider, viewer kept


def test_names_and_usernames_from_the_claims():
    assert names({"given_name": "Ann", "family_name": "Lee", "name": "X Y"}) == ("Ann", "Lee")
    assert names({"name": "Jean Paul Sartre"}) == ("Jean", "Paul Sartre")
    assert username_base({"preferred_username": "ann lee<script>", "email": "a@x"}) == "annleescript"
    assert username_base({"email": "a@x.example"}) == "a@x.example"
    assert username_base({"sub": "!!!"}) == "sso-user"
