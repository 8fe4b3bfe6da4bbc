"""The prompt workbench, offline: eval suites, runs, reports and comparisons of template versions.

- :mod:`~pinterest_agent.agents.workbench.suites`,
  :mod:`~pinterest_agent.agents.workbench.assertions`,
  :mod:`~pinterest_agent.agents.workbench.tasks`, :mod:`~pinterest_agent.agents.workbench.runner`:
  a YAML suite of cases and assertions run through the worker's own LLM seam (``prompts eval``);
- :mod:`~pinterest_agent.agents.workbench.results`,
  :mod:`~pinterest_agent.agents.workbench.reports`,
  :mod:`~pinterest_agent.agents.workbench.comparison`: the terminal table, JSON and HTML reports,
  and two versions side by side (``prompts compare``);
- :mod:`~pinterest_agent.agents.workbench.promptfoo`: the export for promptfoo users.

What the workers use at job time (published versions, labels, rollouts, usage, versions judged
by their Pins' measured figures) is :mod:`pinterest_agent.agents.prompting`; the workbench builds
on it, never the other way round. The error tree is drawn in
:mod:`pinterest_agent.agents.workbench.errors`.
"""
