"""The prompt workbench: eval suites, published template versions with labels, gradual rollouts,
and template versions compared by the measured results of the Pins they wrote.

- :mod:`~agents.workbench.suites`, :mod:`~agents.workbench.assertions`,
  :mod:`~agents.workbench.tasks`, :mod:`~agents.workbench.runner`: a YAML suite of cases and
  assertions run through the worker's own LLM seam (``prompts eval``);
- :mod:`~agents.workbench.results`, :mod:`~agents.workbench.reports`,
  :mod:`~agents.workbench.comparison`: the terminal table, JSON and HTML reports, and two
  versions side by side (``prompts compare``);
- :mod:`~agents.workbench.versions`, :mod:`~agents.workbench.rollout`: published versions,
  labels and rollouts, and the router the workers use at job time (``prompts publish``,
  ``promote``, ``rollback``, ``rollout``);
- :mod:`~agents.workbench.usage`, :mod:`~agents.workbench.performance`: which version wrote each
  draft, and versions judged by their Pins' measured figures (``prompts report``, the weekly
  insight's ``template_versions``);
- :mod:`~agents.workbench.promptfoo`: the export for promptfoo users.

Storage is behind protocols (``VersionStore``, ``UsageLog``); ``queues.stores.prompts`` keeps them
in Redis. The error tree is drawn in :mod:`agents.workbench.errors`.

Import from the modules (as for ``agents.design`` and ``agents.insights``): the weekly insight's
models import :mod:`~agents.workbench.performance`, which must not pull in the suites (they import
the insight writer).
"""
