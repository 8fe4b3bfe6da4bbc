"""Where the worker's metrics are served: Dramatiq's ``Prometheus`` middleware (its own HTTP
server, one per host, reading every worker process's files in multiprocess mode).

prometheus-client and Dramatiq read their multiprocess settings from the environment when they
are imported, so ``pinterest-agent worker`` puts them there before it starts Dramatiq's CLI.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pinterest_agent.queues.settings import Settings

__all__ = ["metrics_environment"]


def metrics_environment(settings: Settings) -> dict[str, str]:
    """The variables to start the worker with (none when metrics are off); empties the metric
    files of an earlier run, as prometheus-client's multiprocess mode requires."""
    if not settings.metrics_enabled:
        return {}
    folder = settings.metrics_dir or Path(tempfile.gettempdir()) / "pinterest-agent-prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(folder), "dramatiq_prom_db": str(folder),
            "dramatiq_prom_host": settings.metrics_host,
            "dramatiq_prom_port": str(settings.metrics_port)}
