"""What every capability shares, and nothing else of the app: this package imports no other.

vocabulary.py  a source's categories, a domain's stages, the thresholds of a verdict
dates.py       ranges of UTC days and the 30-day window
counts.py      message counts, the one shape every rollup, page and export uses
names.py       domain names and IP addresses we accept; organizational domains
sql.py         small SQL helpers
text.py        first_line, for messages on pages and in logs
events.py      the signals that carry changes from one capability to the others
"""
