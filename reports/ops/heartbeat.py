"""Signs of life of the worker and of beat, kept in the broker's Redis.

A worker's main process writes its heartbeat every DMARC_HEARTBEAT_SECONDS from a thread; a worker
that is killed (OOM, a crash, a lost container) simply stops writing, and /readyz sees its time
grow old. Beat notes the time of every task it sends, and its schedule sends one every
DMARC_HEARTBEAT_SECONDS (reports.ops.tasks.beat_heartbeat). The keys carry the queue's name, so
that instances (or test runs) sharing a Redis read their own."""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

log = logging.getLogger(__name__)

_stop = threading.Event()


def _app():
    from dmarcapp.celery import app

    return app


def client() -> redis.Redis:
    """The broker's Redis, with short timeouts: a probe must answer even when Redis does not."""
    return redis.Redis.from_url(_app().conf.broker_url, socket_timeout=3, socket_connect_timeout=3)


def queue() -> str:
    return _app().conf.task_default_queue


def _key(what: str) -> str:
    return f"dmarc:ops:{queue()}:{what}"


def beat(hostname: str = "") -> None:
    """Beat sent a task now."""
    _write(lambda r: r.set(_key("beat"), time.time()))


def worker(hostname: str) -> None:
    """The worker `hostname` is alive now."""
    _write(lambda r: r.hset(_key("workers"), hostname, time.time()))


def worker_gone(hostname: str) -> None:
    """The worker `hostname` shut down cleanly: it is no sign of life any more."""
    _stop.set()
    _write(lambda r: r.hdel(_key("workers"), hostname))


def _write(action) -> None:
    try:
        action(client())
    except redis.RedisError as e:
        # Redis down: the worker cannot take tasks either, and /readyz says so. Nothing to raise.
        log.warning("Cannot write the heartbeat to Redis: %s", e)


def start_worker_heartbeat(hostname: str) -> threading.Thread:
    interval = settings.DMARC_HEARTBEAT_SECONDS

    def beat_forever():
        while not _stop.is_set():
            worker(hostname)
            _stop.wait(interval)

    thread = threading.Thread(target=beat_forever, name="dmarc-heartbeat", daemon=True)
    thread.start()
    return thread


def read(r: redis.Redis) -> tuple[dict[str, float], float | None]:
    """({worker hostname: Unix time of its last heartbeat}, Unix time beat last sent a task)."""
    workers = {k.decode(errors="replace"): float(v) for k, v in r.hgetall(_key("workers")).items()}
    last_beat = r.get(_key("beat"))
    return workers, float(last_beat) if last_beat is not None else None


def queue_length(r: redis.Redis) -> int:
    """Tasks waiting in the queue: kombu keeps one Redis list per priority step besides the plain one."""
    name = queue()
    return sum(r.llen(key) for key in (name, *(f"{name}\x06\x16{p}" for p in (3, 6, 9))))
