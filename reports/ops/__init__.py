"""Running the app as a service: what an orchestrator and an on-call engineer read.

rules.py       plain Python: how an input's origin is counted, when a heartbeat is stale, the verdict
counters.py    counts the workers keep in PostgreSQL, so that every web process reports the same
heartbeat.py   the worker's and beat's signs of life, kept in Redis
health.py      the checks behind /readyz
metrics.py     the Prometheus collector behind /metrics
logs.py        LOG_FORMAT=json: one JSON object per line, with the request's and the task's id
middleware.py  the probes answered before anything else; request ids and durations
receivers.py   counts ingested inputs (reports.shared.events), starts the heartbeats (Celery signals)
views.py       /healthz, /readyz, /metrics
"""
