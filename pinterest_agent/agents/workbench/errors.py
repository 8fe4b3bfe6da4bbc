"""The workbench's errors: the operator's (or prompt engineer's) to fix::

    ConfigurationError (pinterest_agent.errors)
    +-- SuiteError            an eval suite file is missing, malformed, or names what is not
    |                         there (a brief file, a glob matching nothing, an unknown field)
    +-- UnknownVersionError   a version number or label that was never published
                              (:mod:`pinterest_agent.agents.prompting.errors`, re-exported here)

A suite run that passes under its threshold is not an error: ``prompts eval`` exits 1 as a CI
gate, with the results printed.
"""

from __future__ import annotations

from pinterest_agent.agents.prompting.errors import UnknownVersionError
from pinterest_agent.errors import ConfigurationError

__all__ = ["SuiteError", "UnknownVersionError"]


class SuiteError(ConfigurationError):
    default_code = "eval_suite_invalid"
