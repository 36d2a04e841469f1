"""Small SQL helpers shared by the packages that write their own SQL."""

import json

# SQL for "one of the addresses", whose parameter is ip_list(addresses). The addresses go as one text
# parameter: a list of 250,000 passes through Django's and psycopg's checks and conversions one
# address at a time, which takes longer than the query.
ANY_IP = "ANY(string_to_array(%s, ',')::inet[])"


def ip_list(ips) -> str:
    """The parameter of ANY_IP: addresses as PostgreSQL prints them (host(), or the ORM's)."""
    return ",".join(set(ips))


def json_list(text: str | None) -> list:
    """A JSON array read from the database as text; anything else reads as empty."""
    value = json.loads(text or "[]")
    return value if isinstance(value, list) else []


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
