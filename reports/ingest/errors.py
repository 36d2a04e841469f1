"""Errors that reach users.

Every problem with an input becomes a ReportError whose message is meant to be
shown as it is: on the command line, in --json output and on the status page.
Anything else escaping the ingestion code is a bug in our code.
"""


class ReportError(Exception):
    """The input (or one part of it) cannot be stored, and this says why."""


class LimitExceeded(ReportError):
    """A size, member-count or nesting limit was passed (zip/gzip/XML bombs)."""


class NotDmarc(ReportError):
    """The input holds nothing that looks like a DMARC aggregate report."""


class Foreign(ReportError):
    """The report's policy domain is not one we monitor (Domain, DMARC_DOMAINS)."""

    def __init__(self, message: str, domain: str):
        super().__init__(message)
        self.domain = domain


class NotAllowed(ReportError):
    """The report is for a domain on which whoever handed it in may not store reports."""

    def __init__(self, message: str, domain: str):
        super().__init__(message)
        self.domain = domain


class VerificationDeferred(Exception):
    """The DNS did not answer while a reporter's DKIM key was looked up.

    Not a ReportError: the report is not at fault, and a signature that could
    not be checked is no forgery. The IMAP worker retries the message later."""
