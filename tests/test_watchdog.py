"""A worker that lost a thread exits (so a supervisor restarts it) instead of heartbeating while
serving nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest

from pinterest_agent.queues.broker.watchdog import EXIT_THREAD_DIED, ThreadWatchdog
from tests.conftest import RunningWorker
from tests.helpers import enqueue_publish, wait_for

pytestmark = pytest.mark.redis


def _break_worker_threads(running: RunningWorker) -> None:
    def boom(message: object) -> None:
        raise RuntimeError("simulated bug in a worker thread")

    for thread in running.worker.workers:
        thread.process_message = boom


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_thread_is_noticed_and_reported_once(
    start_worker: Callable[..., RunningWorker], caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a real worker whose threads crash on the next message
    running = start_worker(threads=2)
    watchdog = next(m for m in running.broker.middleware if isinstance(m, ThreadWatchdog))
    exits: list[int] = []
    watchdog.on_dead = exits.append
    _break_worker_threads(running)
    # When a message arrives
    enqueue_publish(running.broker, running.runtime.settings, {"schema_version": 1})
    # Then the watchdog reports the dead thread once, with the exit status a supervisor sees
    assert wait_for(lambda: exits) == [EXIT_THREAD_DIED]
    critical = [r for r in caplog.records if r.levelname == "CRITICAL" and "died" in r.message]
    assert len(critical) == 1


def test_by_default_the_process_exits_nonzero() -> None:
    # Given a process running a Dramatiq worker with the watchdog's defaults
    script = textwrap.dedent(
        """
        import time, dramatiq
        from dramatiq.brokers.stub import StubBroker
        from queues.broker.watchdog import ThreadWatchdog

        broker = StubBroker()
        broker.add_middleware(ThreadWatchdog())
        dramatiq.set_broker(broker)

        @dramatiq.actor
        def job():
            pass

        worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
        worker.start()
        def boom(message):
            raise RuntimeError("simulated bug")
        for thread in worker.workers:
            thread.process_message = boom
        job.send()
        time.sleep(30)
        print("still running")
        """
    )
    # When its only worker thread dies
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    # Then it exits with the documented status and says why
    assert done.returncode == EXIT_THREAD_DIED, done.stderr[-2000:]
    assert "still running" not in done.stdout
    assert "threads died" in done.stderr
