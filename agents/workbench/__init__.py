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

Storage is behind protocols (``VersionStore``, ``UsageLog``); ``queues.prompt_store`` keeps them
in Redis. The error tree is drawn in :mod:`agents.workbench.errors`.
"""

from __future__ import annotations

from agents.workbench.assertions import Assertion, Context, RubricVerdict, Verdict
from agents.workbench.comparison import SuiteComparison, compare_results, comparison_report
from agents.workbench.errors import SuiteError, UnknownVersionError
from agents.workbench.performance import (
    DEFAULT_MIN_IMPRESSIONS,
    DEFAULT_MIN_PINS,
    TemplateVersionReport,
    VersionResult,
    compare_versions,
    report_lines,
    version_report,
)
from agents.workbench.promptfoo import export_promptfoo
from agents.workbench.reports import html_report, json_report, summary_line, text_report
from agents.workbench.results import AssertionOutcome, CaseRun, Prices, SuiteResult
from agents.workbench.rollout import PromptChoice, PromptRouter, RoutedLLM, bucket, fixed_choice
from agents.workbench.runner import run_suite
from agents.workbench.suites import Case, Suite, load_suite, packaged_suites
from agents.workbench.usage import PromptUse, UsageLog
from agents.workbench.versions import (
    DEFAULT_LABEL,
    Rollout,
    Routing,
    TemplateRef,
    TemplateVersion,
    VersionStore,
    check_label,
    read_template_dir,
)

__all__ = [
    "DEFAULT_LABEL",
    "DEFAULT_MIN_IMPRESSIONS",
    "DEFAULT_MIN_PINS",
    "Assertion",
    "AssertionOutcome",
    "Case",
    "CaseRun",
    "Context",
    "Prices",
    "PromptChoice",
    "PromptRouter",
    "PromptUse",
    "Rollout",
    "RoutedLLM",
    "Routing",
    "RubricVerdict",
    "Suite",
    "SuiteComparison",
    "SuiteError",
    "SuiteResult",
    "TemplateRef",
    "TemplateVersion",
    "TemplateVersionReport",
    "UnknownVersionError",
    "UsageLog",
    "Verdict",
    "VersionResult",
    "VersionStore",
    "bucket",
    "check_label",
    "compare_results",
    "compare_versions",
    "comparison_report",
    "export_promptfoo",
    "fixed_choice",
    "html_report",
    "json_report",
    "load_suite",
    "packaged_suites",
    "read_template_dir",
    "report_lines",
    "run_suite",
    "summary_line",
    "text_report",
    "version_report",
]
