"""The test harness: real servers, processes and data the tests run against, apart from the tests.

Servers and processes
    dovecot          a real Dovecot (IMAP, IMAPS, STARTTLS; OAuth bearer tokens with accept_tokens)
    oauth_server     the OAuth 2.0 token server (Microsoft, Google) Dovecot checks tokens with
    dns_server       dnsmasq on a free port, serving the tests' TXT, A, PTR records
    smtp_server      aiosmtpd, keeping what it received
    http_receiver    an HTTP server keeping the webhooks it received
    imap_listener    a listener that speaks just enough IMAP to take a login, and keeps every byte
    tcp_proxy        a TCP proxy the tests take down and bring back (a database outage)
    workers          Celery workers and manage.py commands in their own processes, on the test database
    commands         manage.py in a process of its own, with the production settings
    browser          Debian's chromium through Playwright, and what the browser tests do with a page

Waiting
    waiting          wait_for and limits that grow with the machine's load (DMARC_TEST_PATIENCE)
    locks            hold a table so that a worker stops at a known point

Data
    builders         report XML for a day, imports, the dashboard's scenario (OWN, OTHER, ...)
    report_mail      report emails as reporters send them
    dkim_signing     DKIM keys made in the tests, and emails signed with them
    rollout_scenarios, alert_scenarios   weeks of reports of real-world senders
    corpus           where the shared corpus of real reports is
    personas         one person per role (viewer, operator, admin, superuser), with real grants
    pages            the registry of every page: URL, who may open it, methods, parameters
"""
