"""Reading Team Cymru's IP-to-ASN answers, with plain data."""

from reports.rollout import cymru


def test_the_origin_names_of_ipv4_and_ipv6_addresses():
    assert cymru.origin_name("209.85.220.41") == "41.220.85.209.origin.asn.cymru.com"
    v6 = cymru.origin_name("2607:f8b0:4864:20::42a")
    assert v6.endswith(".origin6.asn.cymru.com")
    nibbles = v6.removesuffix(".origin6.asn.cymru.com").split(".")
    # 2607:f8b0:4864:0020:0000:0000:0000:042a, every nibble, last first.
    assert len(nibbles) == 32 and nibbles[:4] == ["a", "2", "4", "0"] and nibbles[-4:] == ["7", "0", "6", "2"]
    assert cymru.as_name_query(15169) == "AS15169.asn.cymru.com"


def test_it_reads_the_most_specific_origin_and_the_first_of_several_as():
    answers = [
        "15169 | 209.85.128.0/17 | US | arin | 2004-03-05",
        "15169 36040 | 209.85.220.0/24 | US | arin |",
    ]
    assert cymru.parse_origin(answers) == cymru.Origin(15169, "209.85.220.0/24", "US")
    assert cymru.parse_origin(["garbage", " | | "]) is None
    assert cymru.parse_origin([]) is None


def test_it_reads_the_as_name_from_the_last_field():
    assert cymru.parse_as_name(["15169 | US | arin | 2000-03-30 | GOOGLE - Google LLC, US"]) == (
        "GOOGLE - Google LLC, US"
    )
    assert cymru.parse_as_name(["15169 | US"]) == ""
