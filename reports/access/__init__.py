"""Who may see which monitored domains, and do what on them.

The rules live in reports.access.rules over plain data; reports.access.queries reads a user's grants
from the database into them. `access_for` and `users_for_domain` there, and
reports.rollups.queries.visible_domains, are where the rest of the app (pages, alerts) asks.
"""
