"""What each way of logging in to a mailbox needs: one rule for the admin's form and for the settings
(the "env" mailbox, DMARC_IMAP_*). Plain Python: the settings read it before Django is set up."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD, MICROSOFT, GOOGLE = "password", "microsoft", "google"
METHODS = (PASSWORD, MICROSOFT, GOOGLE)
PROVIDERS = {MICROSOFT: "Microsoft 365", GOOGLE: "Google"}
# The IMAP server of each provider, when none is given.
DEFAULT_HOSTS = {MICROSOFT: "outlook.office365.com", GOOGLE: "imap.gmail.com"}


@dataclass(frozen=True)
class Need:
    """One requirement of a method: every field of at least one of the alternatives."""

    alternatives: tuple[tuple[str, ...], ...]
    what: str  # in words, for a form: "Microsoft 365 needs {what}."

    @property
    def secret(self) -> bool:
        """Whether it asks for a secret (a field named `password` or ending in `_secret`)."""
        return any(f == "password" or f.endswith("_secret") for a in self.alternatives for f in a)

    def met(self, values: dict) -> bool:
        return any(all(values.get(f) for f in fields) for fields in self.alternatives)

    def text(self, names: dict[str, str]) -> str:
        """The requirement with each field under another name (a setting's): "A and B", "A or B",
        "A, or B, C and D"."""
        alternatives = [[names[f] for f in fields] for fields in self.alternatives]
        spelled = [" and ".join([", ".join(a[:-1]), a[-1]] if len(a) > 1 else a) for a in alternatives]
        return (", or " if any(len(a) > 1 for a in alternatives) else " or ").join(spelled)


NEEDS = {
    PASSWORD: (),
    MICROSOFT: (
        Need((("ms_tenant", "ms_client_id"),), "this"),
        Need((("ms_client_secret",), ("ms_certificate_secret",)), "a client secret or a certificate"),
    ),
    GOOGLE: (
        Need(
            (
                ("google_service_account_secret",),
                ("google_client_id", "google_client_secret", "google_refresh_token_secret"),
            ),
            "a service account key, or an OAuth client ID, client secret and refresh token",
        ),
    ),
}
# Every field of a method other than the password: those of the other methods are emptied, so that no
# secret outlives a change of method.
OAUTH_FIELDS = tuple(
    dict.fromkeys(
        f for method in (MICROSOFT, GOOGLE) for n in NEEDS[method] for a in n.alternatives for f in a
    )
)


def unmet(method: str, values: dict) -> list[Need]:
    """What `values` (the method's fields, by name) still lack for `method`."""
    return [need for need in NEEDS[method] if not need.met(values)]
