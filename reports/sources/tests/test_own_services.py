"""Services of your own: checked like the catalogue, listed by `manage.py services`, and used to name
sources before the built-in services."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from reports.sources.models import OperatorService
from reports.sources.queries import known_services
from reports.sources.services import Signals, identify


def make(**fields):
    row = OperatorService(**{"slug": "billing", "name": "Billing system", "kind": "finance", **fields})
    row.full_clean()
    row.save()
    return row


@pytest.mark.django_db
def test_services_json_lists_the_catalogue_and_your_own(capsys):
    make(dkim="d=Billing.Example.NET, mailer.example.net", asn="AS64500")
    call_command("services", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["catalogue"] >= 500 and out["counts"]["operator"] == 1
    assert out["count"] == len(out["services"]) == out["counts"]["catalogue"] + 1
    mine = out["services"][0]
    assert mine["id"] == "user-billing" and mine["defined_by"] == "operator" and mine["kind"] == "finance"
    assert mine["signals"]["dkim"] == ["billing.example.net", "mailer.example.net"]
    assert mine["signals"]["asn"] == [64500]
    mailchimp = next(s for s in out["services"] if s["id"] == "mailchimp")
    assert mailchimp["kind"] == "marketing" and "mcsv.net" in mailchimp["signals"]["dkim"]
    assert all(s["source"] for s in out["services"])


@pytest.mark.django_db
def test_services_text_says_which_are_yours(capsys):
    make(spf="bounce.billing.example.net")
    call_command("services")
    out = capsys.readouterr().out
    assert "Billing system (yours) [finance and billing]: mailfrom=bounce.billing.example.net" in out
    assert "services, 1 of your own." in out


@pytest.mark.django_db
def test_a_service_of_your_own_names_sources_and_wins_a_tie_with_the_catalogue():
    make(dkim="billing.example.net", rdns="mcsv.net.internal.example.net")
    known = known_services()
    assert identify(Signals("", ["billing.example.net"], []), "example.com", known).name == "Billing system"
    assert identify(Signals("", ["billing.example.net"], []), "example.com").sender is None
    # The catalogue still names everything else.
    assert identify(Signals("", ["mcsv.net"], []), "example.com", known).name == "Mailchimp"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [
        ({"dkim": "not a domain!"}, "dkim"),
        ({"spf": "-bad-.example"}, "spf"),
        ({"asn": "AS12x"}, "asn"),
        ({"kind": "spaceship", "dkim": "ok.example.net"}, "kind"),
        ({}, "dkim"),
    ],
)
def test_bad_signals_are_refused_with_the_field_named(fields, field):
    with pytest.raises(ValidationError) as e:
        make(**fields)
    assert field in e.value.message_dict
    assert not OperatorService.objects.exists()


@pytest.mark.django_db
def test_the_known_senders_page_lists_yours_first_escaped(superuser_client):
    from django.urls import reverse

    make(name="Billing <b>x</b>", dkim="billing.example.net")
    response = superuser_client.get(reverse("rollout_how"))
    senders = response.context["senders"]
    assert senders[0].name == "Billing <b>x</b>" and len(senders) >= 501
    body = response.content.decode()
    assert "Billing &lt;b&gt;x&lt;/b&gt;" in body and "<b>x</b>" not in body
