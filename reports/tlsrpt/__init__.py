"""SMTP TLS reports (RFC 8460): what the senders of a domain's incoming mail saw of its TLS.

parser.py reads one report (JSON, hostile input, bounded); store.py keeps it once per
(organization, report id) with its original bytes and adds its counts to the per-day tables the
pages read (models.py); results.py explains each result type in an operator's words.
"""
