"""Services of the operator's own: reading and checking their signals, and turning them into catalogue
services (reports.sources.services) that name sources like the built-in ones."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from reports.shared.names import domain_name
from reports.sources.services import KIND_LABELS, Service, service_from_row

PREFIX = "user-"
_SPLIT = re.compile(r"[\s,;]+")
KIND_CHOICES = [(k, v) for k, v in KIND_LABELS.items() if k != "own"]


def domains(text: str) -> tuple[list[str], list[str]]:
    """The domain names in `text` in their DNS form, and the words that are not domain names."""
    good, bad = [], []
    for word in filter(None, _SPLIT.split(text or "")):
        name = domain_name(word.removeprefix("d="))
        if name and "." in name:
            if name not in good:
                good.append(name)
        else:
            bad.append(word)
    return good, bad


def networks(text: str) -> tuple[list[int], list[str]]:
    good, bad = [], []
    for word in filter(None, _SPLIT.split(text or "")):
        number = word.upper().removeprefix("AS")
        if number.isdigit() and 0 < int(number) < 2**32:
            good.append(int(number))
        else:
            bad.append(word)
    return good, bad


def check(service) -> None:
    """Raise ValidationError naming every field with a word that is not a domain (or AS number), an
    unknown kind, or no signal at all."""
    errors = {}
    if service.kind not in dict(KIND_CHOICES):
        errors["kind"] = f"Unknown kind; one of {', '.join(dict(KIND_CHOICES))}."
    found = 0
    for field in ("dkim", "spf", "rdns"):
        good, bad = domains(getattr(service, field))
        found += len(good)
        if bad:
            errors[field] = f"Not domain names: {', '.join(bad[:5])}."
    good, bad = networks(service.asn)
    found += len(good)
    if bad:
        errors["asn"] = f"Not AS numbers: {', '.join(bad[:5])}."
    if not found and not errors:
        errors["dkim"] = "Give at least one signal: a DKIM, MAIL FROM or reverse DNS domain, or an AS number."
    if errors:
        raise ValidationError(errors)


def as_service(row) -> Service:
    """An OperatorService row as a catalogue service."""
    return service_from_row(
        {
            "id": PREFIX + row.slug,
            "name": row.name,
            "short": row.name,
            "kind": row.kind,
            "dkim": domains(row.dkim)[0],
            "spf": domains(row.spf)[0],
            "rdns": domains(row.rdns)[0],
            "asn": networks(row.asn)[0],
            "source": "Defined by the operator" + (f": {row.note}" if row.note else ""),
        }
    )
