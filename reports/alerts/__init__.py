"""Alerts and digests: the product speaks first, when it matters, and stays quiet when all is well.

rules.py and state.py are plain functions over dataclasses; evidence.py,
recipients.py, store.py, channels.py, delivery.py and digest.py do the I/O;
evaluate.py ties one evaluation together for the tasks and the commands.
"""
