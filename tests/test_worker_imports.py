"""A worker process loads none of the web console's stack, nor the sandbox's or the evals'
dependencies: the insights job stores plain figures, and the console draws them.

The worker runs in a fresh Python process the way ``pinterest-agent worker`` starts it
(``dramatiq pinterest_agent.queues.entry.worker``: settings from the environment, the broker, the
actors), processes one real insights job against the sandbox, and reports ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import SecretStr

from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.figures import ChannelFiguresStore
from tests.conftest import Channel
from tests.console_support import llm_settings

pytestmark = pytest.mark.redis

WORKER_NEVER_LOADS = (
    # the console extra
    "starlette", "uvicorn", "itsdangerous", "multipart", "python_multipart", "pygal",
    # the sandbox extra
    "openapi_core", "openapi_schema_validator", "jsonschema", "rfc3339_validator",
    # the evals extra
    "rapidfuzz", "jsonpath",
    # the console's own modules
    "pinterest_agent.queues.console", "pinterest_agent.providers.sandbox",
)

WORKER = """
import json, sys
import dramatiq
from pinterest_agent.queues.entry import worker as entry  # what dramatiq imports
from pinterest_agent.queues.jobs.insights import insights_request

entry.broker.emit_after("process_boot")
worker = dramatiq.Worker(entry.broker, worker_threads=1, worker_timeout=50)
worker.start()
try:
    entry.actors.insights.send(insights_request("shop"))
    for queue in list(entry.broker.get_declared_queues()):
        entry.broker.join(queue, timeout=60_000)
    worker.join()
finally:
    worker.stop(timeout=10_000)
names = sys.argv[1:]
print(json.dumps(sorted(m for m in sys.modules
                        if any(m == n or m.startswith(n + ".") for n in names))))
"""


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return llm_settings(prefix, fresh_sandbox)


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            env[f"PINTEREST_AGENT_{name.upper()}"] = text
    return env


def test_a_worker_runs_an_insights_job_without_the_web_stack(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, settings: Settings,
) -> None:
    # Given a connected channel with 90 days of Pins and analytics
    user = fresh_sandbox.state.user_by_name("shop_owner")
    assert user is not None
    populate_channel(fresh_sandbox.state, user.id, pins=20, boards=2)
    # When a fresh worker process builds the broker and actors and runs one insights job
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *WORKER_NEVER_LOADS], env=_env(settings),
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    # Then the job ran: the insight is recorded and the plain figures snapshot stored
    outcome = runtime.store.outcomes.get("insight", "shop")
    assert outcome is not None and outcome["status"] == "ok", outcome
    figures = ChannelFiguresStore(runtime.redis_client, settings.key_prefix).load("shop")
    assert figures is not None and figures.days
    # And no chart was drawn (the console draws on first view)
    assert not list(runtime.redis_client.scan_iter(match=f"{settings.key_prefix}:chart:*"))
    # And the process never loaded the console, the sandbox or the evals' dependencies
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
