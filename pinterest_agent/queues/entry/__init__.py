"""The entry points: the ``pinterest-agent`` CLI (:mod:`.cli` and its ``cli_*`` groups) and
:mod:`.worker`, the module ``dramatiq`` imports to run a worker."""
