"""What every capability shares, and nothing else of the app: this package imports no other.

events.py   the signals that carry changes from one capability to the others
sql.py      small SQL helpers
"""
