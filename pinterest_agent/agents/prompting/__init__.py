"""Which template versions the workers render with, at job time: published versions and labels,
gradual rollouts, which version wrote each draft, and versions judged by the measured results
of the Pins they wrote.

- :mod:`~pinterest_agent.agents.prompting.versions`: published versions and labels (the store
  is behind the ``VersionStore`` protocol; ``queues`` keeps it in Redis);
- :mod:`~pinterest_agent.agents.prompting.rollout`: the router the workers use (labels and
  rollouts by subject id) and ``RoutedLLM``;
- :mod:`~pinterest_agent.agents.prompting.usage`: which version wrote each draft (``UsageLog``);
- :mod:`~pinterest_agent.agents.prompting.performance`: versions compared by their Pins'
  measured figures (``prompts report``, the weekly insight's ``template_versions``).

The offline eval framework (suites, assertions, runs, reports) is
:mod:`pinterest_agent.agents.workbench`, which builds on this package; nothing here imports it,
so the jobs and the weekly insight never load the eval framework.
"""
