"""`manage.py health worker|beat|ready`: the container health checks of docker-compose.yml.

The worker and beat answer no HTTP: each is healthy when its own sign of life in Redis is fresh
(reports.ops.heartbeat), which is what /readyz reads too. Exit status 0 healthy, 1 not."""

import socket
import sys
import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand

from reports.ops import heartbeat
from reports.ops.health import readiness
from reports.ops.rules import fresh


class Command(BaseCommand):
    help = "Exit 0 when this worker's heartbeat, beat's last task, or /readyz's checks (ready) are fresh."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["worker", "beat", "ready"])
        parser.add_argument(
            "--hostname",
            default=f"celery@{socket.gethostname()}",
            help="the worker's node name (celery -n); default celery@HOSTNAME, this container's",
        )

    def handle(self, *args, what, hostname, **options):
        if what == "ready":
            result = readiness()
            ok, text = result.ok, "; ".join(f"{c.name}: {c.detail}" for c in result.checks)
        else:
            try:
                workers, last_beat = heartbeat.read(heartbeat.client())
            except redis.RedisError as e:
                ok, text = False, f"Redis does not answer: {e}"
            else:
                if what == "worker":
                    limit, last = settings.DMARC_WORKER_STALE_SECONDS, workers.get(hostname)
                    check = fresh(what, last, time.time(), limit, f"heartbeat of {hostname}")
                else:
                    limit = settings.DMARC_BEAT_STALE_SECONDS
                    check = fresh(what, last_beat, time.time(), limit, "task sent by beat")
                ok, text = check.ok, check.detail
        self.stdout.write(f"{'healthy' if ok else 'unhealthy'}: {text}")
        if not ok:
            sys.exit(1)
