"""The advice suite's scenarios, kept as test data: each with the reports (flows of mail, as the
reporters see them every day) and the DNS it runs on, and what an expert expects: the category of
each source, the verdict, the checks that fail, the record's errors, a piece of each fix, and the
first step of the plan. test_advice_rules.py runs them through the rules without a database;
test_advice_stack.py through reports, DNS, the worker's assessment, `rollout --json` and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.harness import rollout_scenarios as flows

SES_IP, SES_CUSTOM_IP, SES_EASY_IP = "54.240.8.21", "54.240.8.97", "54.240.8.44"
WS_IPS = ("209.85.220.41", "209.85.220.69")
LIST_IP, ARC_LIST_IP = "192.0.2.150", "23.83.209.10"


@dataclass
class Scenario:
    name: str
    domain: str
    aspf: str  # r or s, in the record and in the reports
    make_flows: object  # domain -> [Flow]
    categories: dict[str, str]  # ip -> expected category ("*" for a spoofer's random addresses)
    ready: bool
    failing: set[str]  # codes of the blocking checks that fail
    errors: set[str] = field(default_factory=set)  # error-level record problems
    fixes: dict[str, str] = field(default_factory=dict)  # ip -> a piece of its diagnosis
    not_in_fixes: dict[str, str] = field(default_factory=dict)  # ip -> what its diagnosis must not say
    first_fix: dict[str, str] = field(default_factory=dict)  # ip -> a piece of its first fix (DKIM first)

    @property
    def record(self) -> str:
        strict = "; aspf=s" if self.aspf == "s" else ""
        return f"v=DMARC1; p=none{strict}; rua=mailto:dmarc@{self.domain}"

    @property
    def first_step(self) -> str:
        """Every first enforcing step is a trial for both generations of receivers."""
        strict = "; aspf=s" if self.aspf == "s" and "strict-spf" not in self.errors else ""
        return f"v=DMARC1; p=quarantine; t=y; pct=0{strict}; rua=mailto:dmarc@{self.domain}"


def _ws(d):
    return [flows.google_workspace(d)]


def ses_plain(d):
    return _ws(d) + [flows.ses_default(d)]


def ses_custom(aspf):
    def make(d):
        return _ws(d) + [flows.ses_custom_mail_from(d, spf="pass" if aspf == "r" else "fail")]

    return make


def ses_easy(custom, aspf):
    def make(d):
        return _ws(d) + [flows.ses_easy_dkim(d, custom_mail_from=custom, aspf=aspf)]

    return make


def lists(d):
    return _ws(d) + [flows.mailing_list_without_arc(d), flows.arc_mailing_list(d), flows.spoofer(d)]


WS = dict.fromkeys(WS_IPS, "aligned")
NOT_ALIGNED = {"unaligned", "share"}

SCENARIOS = [
    Scenario(
        "SES without Easy DKIM or custom MAIL FROM, aspf=r", "ses-plain-r.example", "r", ses_plain,
        {**WS, SES_IP: "misconfigured"}, False, NOT_ALIGNED,
        fixes={SES_IP: "Enable Easy DKIM."}, first_fix={SES_IP: "Easy DKIM"},
    ),
    Scenario(
        "SES without Easy DKIM or custom MAIL FROM, aspf=s", "ses-plain-s.example", "s", ses_plain,
        # Its fix is Easy DKIM, which aspf=s does not touch: strict SPF is advice here, not a blocker.
        {**WS, SES_IP: "misconfigured"}, False, NOT_ALIGNED,
        fixes={SES_IP: "Enable Easy DKIM."}, first_fix={SES_IP: "Easy DKIM"},
    ),
    Scenario(
        "SES with a custom MAIL FROM and no Easy DKIM, aspf=r", "ses-custom-r.example", "r", ses_custom("r"),
        {**WS, SES_CUSTOM_IP: "aligned"}, True, set(),
    ),
    Scenario(
        "SES with a custom MAIL FROM and no Easy DKIM, aspf=s", "ses-custom-s.example", "s", ses_custom("s"),
        # Strict SPF makes this legitimate mail fail DMARC: the tag blocks, and the next record drops it.
        {**WS, SES_CUSTOM_IP: "misconfigured"}, False, NOT_ALIGNED | {"record"}, {"strict-spf"},
        fixes={SES_CUSTOM_IP: "strict SPF alignment"},
    ),
    Scenario(
        "SES with Easy DKIM, no custom MAIL FROM, aspf=r", "ses-easy-r.example", "r", ses_easy(False, "r"),
        {**WS, SES_EASY_IP: "aligned"}, True, set(),
    ),
    Scenario(
        "SES with Easy DKIM, no custom MAIL FROM, aspf=s", "ses-easy-s.example", "s", ses_easy(False, "s"),
        {**WS, SES_EASY_IP: "aligned"}, True, set(),
    ),
    Scenario(
        "SES with Easy DKIM and a custom MAIL FROM, aspf=r", "ses-both-r.example", "r", ses_easy(True, "r"),
        {**WS, SES_EASY_IP: "aligned"}, True, set(),
    ),
    Scenario(
        # The false no-go: all mail passes through aligned DKIM, so aspf=s blocks nothing.
        "SES with Easy DKIM and a custom MAIL FROM, aspf=s", "ses-both-s.example", "s", ses_easy(True, "s"),
        {**WS, SES_EASY_IP: "aligned"}, True, set(),
    ),
    Scenario(
        "A list without ARC, a list with ARC, and spoofing", "lists.example", "r", lists,
        {**WS, LIST_IP: "forwarded", ARC_LIST_IP: "forwarded", "*": "unknown"}, True, set(),
        fixes={LIST_IP: "Nothing to fix on your side"},
    ),
]  # fmt: skip
