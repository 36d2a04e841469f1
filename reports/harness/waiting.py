"""Waiting for what another process does, with limits that grow with the machine's load.

A test that races a worker, a server or a command waits for something that process does (a row
it writes, a lock it holds, a line it logs), never for a stretch of time. How long that takes
depends on how busy the machine is: every limit here is given in seconds of an idle machine and
stretched by `patience()`, measured again while the wait goes on, so that a loaded machine (other
test runs, a build) makes the tests slower, not red.
"""

from __future__ import annotations

import os
import time

# Set it to stretch every limit further (say 3 on a slow CI runner); the load still counts on top.
PATIENCE_ENV = "DMARC_TEST_PATIENCE"
# A limit never stretches further than this: a process that is stuck still fails its test.
MOST = 10.0


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def patience() -> float:
    """How many times longer than on an idle machine things may take now: DMARC_TEST_PATIENCE
    (default 1) times the runnable processes per CPU over the last minute, when above 1."""
    factor = float(os.environ.get(PATIENCE_ENV) or 1)
    load = os.getloadavg()[0] / _cpus()
    return min(MOST, factor * max(1.0, load))


def scaled(seconds: float) -> float:
    """`seconds` on an idle machine, as seconds now (for subprocess and browser timeouts)."""
    return seconds * patience()


def wait_for(predicate, timeout=30.0, interval=0.1, message="condition"):
    """Poll predicate() until it returns something truthy; return that.

    `timeout` is in seconds of an idle machine: each second that passes counts as 1/patience().
    """
    started = last = time.monotonic()
    spent = 0.0
    while True:
        value = predicate()
        if value:
            return value
        now = time.monotonic()
        spent += (now - last) / patience()
        last = now
        if spent > timeout:
            raise AssertionError(
                f"timed out after {now - started:.1f}s ({timeout}s on an idle machine) waiting for {message}"
            )
        time.sleep(interval)


def deadline(seconds: float):
    """A predicate that turns true once `seconds` of an idle machine have passed (for loops that
    wait on a socket or a process with a timeout of their own)."""
    state = {"last": time.monotonic(), "spent": 0.0}

    def passed() -> bool:
        now = time.monotonic()
        state["spent"] += (now - state["last"]) / patience()
        state["last"] = now
        return state["spent"] > seconds

    return passed
