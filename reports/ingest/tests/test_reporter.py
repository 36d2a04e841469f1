"""Deciding whether a reporter is verified, from plain data (reports.ingest.reporter)."""

from reports.ingest.reporter import Signature, SignedMessage, address_domain, decide


def test_an_aligned_valid_signature_verifies_the_reporter():
    message = SignedMessage("google.com", [Signature("google.com", True)])
    verdict = decide(message, "noreply-dmarc-support@google.com")
    assert (verdict.verified, verdict.signing_domain) == (True, "google.com")


def test_alignment_is_relaxed_on_organizational_domains():
    message = SignedMessage("mail.reporter.example", [Signature("reporter.example", True)])
    assert decide(message, "Reports <dmarc@bounce.reporter.example>").verified is True


def test_a_valid_signature_of_another_organization_does_not_verify():
    message = SignedMessage("google.com", [Signature("evil.example", True)])
    verdict = decide(message, "noreply@google.com")
    assert verdict.verified is False and "does not align" in verdict.reason


def test_the_report_must_name_an_address_of_the_signer():
    message = SignedMessage("google.com", [Signature("google.com", True)])
    assert decide(message, "dmarc@other.example").verified is False
    assert decide(message, "").verified is False


def test_an_invalid_signature_does_not_verify_but_a_later_valid_one_does():
    message = SignedMessage(
        "google.com", [Signature("google.com", False, "body hash mismatch"), Signature("google.com", True)]
    )
    assert decide(message, "a@google.com").verified is True
    bad = SignedMessage("google.com", [Signature("google.com", False, "body hash mismatch")])
    assert "body hash mismatch" in decide(bad, "a@google.com").reason


def test_no_email_means_no_verdict():
    assert decide(None, "a@google.com").verified is None


def test_an_address_domain_needs_exactly_one_address():
    assert address_domain("Google <noreply@Google.COM>") == "google.com"
    assert address_domain("a@x.example, b@y.example") == ""
    assert address_domain("not an address") == ""
