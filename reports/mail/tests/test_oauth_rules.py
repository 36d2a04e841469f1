"""When a token is renewed, and what each provider refusal tells the person who must fix it: plain data."""

from reports.mail.oauth import Token, explain_google, explain_microsoft, refused_login_fix


def test_a_token_is_renewed_a_fifth_of_its_life_before_it_expires_and_at_most_five_minutes_before():
    hour = Token("t", acquired_at=1000, expires_at=4600)
    short = Token("t", acquired_at=1000, expires_at=1010)

    assert hour.renew_at == 4300 and hour.fresh(4299) and not hour.fresh(4300)
    assert short.renew_at == 1008 and short.fresh(1007.9) and not short.fresh(1008)


def test_an_already_expired_token_is_never_fresh():
    assert not Token("t", acquired_at=1000, expires_at=900).fresh(950)


def test_a_token_does_not_show_itself_in_a_repr():
    assert "secret-token" not in repr(Token("secret-token", 0, 3600))


def test_microsoft_errors_name_their_fix():
    bad_secret = explain_microsoft("invalid_client", "AADSTS7000215: Invalid client secret provided.")
    assert "Create a new client secret" in bad_secret
    assert "IMAP.AccessAsApp" in explain_microsoft("invalid_grant", "AADSTS65001: The user or administrator")
    assert "(tenant) ID" in explain_microsoft("invalid_tenant", "AADSTS90002: Tenant 'x' not found.")
    assert "client) ID" in explain_microsoft("unauthorized_client", "AADSTS700016: Application not found")
    assert "clock" in explain_microsoft(
        "invalid_client", "AADSTS700024: Client assertion is not within its valid"
    )
    # No code: the error alone still leads somewhere.
    assert "Create a new client secret" in explain_microsoft("invalid_client", "")


def test_google_errors_name_their_fix():
    assert "Domain-wide delegation" in explain_google("unauthorized_client: Client is unauthorized")
    assert "Create a new key" in explain_google("invalid_grant: Invalid JWT Signature")
    assert "clock" in explain_google(
        "invalid_grant: Invalid JWT: Token must be a short-lived token (60 minutes)"
    )
    assert "new refresh token" in explain_google("invalid_grant: Token has been expired or revoked")
    assert "mailbox address" in explain_google("invalid_grant: Not a valid email or user ID")


def test_a_refused_login_with_a_good_token_points_at_the_mailbox_permission():
    assert "Add-MailboxPermission" in refused_login_fix("microsoft")
    assert "IMAP is enabled" in refused_login_fix("google")
