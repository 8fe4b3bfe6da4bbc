"""The Pinterest agent worker, under one import namespace.

Every module lives under ``pinterest_agent``: generic top-level names such as ``agents`` collide
with other distributions (OpenAI's Agents SDK installs ``agents/``). The product's folders stay
at the top of the repository as relative symlinks (``agents -> pinterest_agent/agents``, and
``prompts``, ``providers``, ``queues``), so paths read as before; the import names are these.
The worker's one exception tree is :mod:`pinterest_agent.errors`.

Dependencies point one way: ``queues -> agents -> providers``, ``agents -> prompts``.
"""
