"""The web console operators run beside the workers (``pinterest-agent console``), in one place.

An entry point like the CLI, and the only code that loads the web stack (Starlette, uvicorn,
itsdangerous, python-multipart) and pygal; it needs the ``console`` extra. The worker process
never imports this package: the insights job stores a plain-data figures snapshot
(:mod:`agents.insights.snapshot`, ``queues/figures_store.py``) and the console draws from it.

- :mod:`~queues.entry.cli_console`: the ``console`` and ``report`` commands (they import the rest
  lazily);
- :mod:`~queues.console.app`, :mod:`~queues.console.access` and the route modules
  (``channels``, ``connect``, ``jobs``, ``login``), ``templates/`` and ``static/``;
- :mod:`~queues.console.views`: the pages' view models (pure); :mod:`~queues.console.charts`:
  chart series and their pygal SVG; :mod:`~queues.console.chart_store`: charts drawn once and
  shared through Redis; :mod:`~queues.console.report`: the offline report file.

This module imports nothing, so that the CLI can load :mod:`~queues.entry.cli_console` without the
console extra installed: import from the modules (``queues.console.app.create_app``).
"""
