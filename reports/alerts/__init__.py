"""Alerts and digests: the product speaks first, when it matters, and stays quiet when all is well.

rules.py and state.py are plain functions over the data classes of facts.py; evidence.py gathers
the evidence, queries.py reads the alert rows and actions.py writes them and their deliveries;
recipients.py, channels.py, delivery.py and digest.py do the rest of the I/O; evaluate.py ties one
evaluation together for the tasks and the commands; receivers.py queues one after an assessment.
"""
