"""MTA-STS (RFC 8461) and the checks of a domain's inbound-mail records, and the rollout from
none through testing to enforce.

policy.py and records.py read policies and TXT records (plain rules); fetch.py fetches a policy
over HTTPS; checks.py runs every check (a worker's job) and stores the result (models.py);
assistant.py decides whether a domain may move to the next stage; views.py shows the TLS page.
"""
