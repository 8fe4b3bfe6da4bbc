"""``pinterest-agent draft | prompts``: the prompt workbench on the command line.

Thin: each command parses its options, builds what it needs from the settings and calls
``agents.workbench`` (suites, runs, reports, comparisons, versions, rollouts, the promptfoo
export) or ``queues.stores.prompts`` (versions, labels and rollouts in Redis).

- ``prompts list | show | render``: the templates, their source, exactly what the model sees;
- ``prompts eval SUITE``: a suite against one template version (exit 1 under its threshold);
- ``prompts compare SUITE --a A --b B``: two versions side by side (``compare --b DIR
  BRIEF...`` still writes copy for briefs with two template folders);
- ``prompts publish | versions | promote | rollback | rollout``: published versions and labels;
- ``prompts report CHANNEL``: versions compared by the measured results of their Pins;
- ``prompts export-promptfoo SUITE --out DIR``;
- ``draft BRIEF``: writer -> designer -> renderer in-process, no publish.
"""

from __future__ import annotations

import getpass
import logging
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pinterest_agent.extras import require_extra
from pinterest_agent.queues.entry.cli_support import (
    channel_param,
    echo_json,
    load_settings,
    read_json,
    runtime,
)

if TYPE_CHECKING:  # imported by the commands that use them (the suites' assertions need the
    # evals extra), so that loading the CLI stays quick
    import redis

    from pinterest_agent.agents.workbench.results import CaseRun, SuiteResult
    from pinterest_agent.agents.workbench.suites import Suite
    from pinterest_agent.prompts.loader import PromptLibrary
    from pinterest_agent.queues.settings import Settings
    from pinterest_agent.queues.stores.prompts import RedisPromptVersions

__all__ = ["draft", "prompts"]

_TEMPLATES = click.option(
    "--templates", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None, help="A folder of *.j2 templates (the rest: packaged).")
_VERSION = click.option(
    "--version", "version", default=None,
    help="A published version: its number, a label (production, staging) or 'packaged'.")
_MODEL = click.option("--model", default=None, help="Another model than OPENAI_MODEL.")
_REPEAT = click.option("--repeat", type=click.IntRange(1, 100), default=None,
                       help="Runs per case (default: the suite's repeat).")
_NO_CACHE = click.option("--no-cache", is_flag=True, help="Ask the model again (no LLM cache).")
_SANDBOX = click.option(
    "--sandbox", is_flag=True,
    help="Run against the local sandbox's stand-in when no model is configured (its answers "
    "know nothing of a template's quality: for trying the commands, never for judging).")
_CONCURRENCY = click.option("--concurrency", type=click.IntRange(1, 32), default=4,
                            show_default=True, help="Cases run at once.")


@click.group()
def prompts() -> None:
    """The prompt workbench: templates, evals, versions, labels and rollouts."""


def _redis(settings: Settings, *, required: bool) -> redis.Redis[bytes] | None:
    import redis

    client: redis.Redis[bytes] = redis.Redis.from_url(settings.redis_url,
                                                      socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        if required:
            raise
        return None
    return client


def _versions(settings: Settings, *, required: bool = True) -> RedisPromptVersions | None:
    from pinterest_agent.queues.stores.prompts import RedisPromptVersions

    client = _redis(settings, required=required)
    return None if client is None else RedisPromptVersions(client, settings.key_prefix)


def _store(settings: Settings) -> RedisPromptVersions:
    store = _versions(settings, required=True)
    assert store is not None
    return store


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _quiet_calls() -> None:
    """The report shows every call; its log lines would only break the progress bar (``-v``
    keeps them)."""
    if logging.getLogger().level > logging.DEBUG:
        for name in ("pinterest_agent.agents.llm", "httpx", "httpx2"):
            logging.getLogger(name).setLevel(logging.WARNING)


# -- templates ----------------------------------------------------------------------------------


@prompts.command("list")
def prompts_list() -> None:
    """Template names and content hashes (packaged or from PINTEREST_AGENT_PROMPTS_DIR)."""
    from pinterest_agent.prompts.loader import PromptLibrary

    library = PromptLibrary(load_settings().prompts_dir)
    for name in library.names():
        click.echo(f"{name}  {library.hash(name)}")


@prompts.command("show")
@click.argument("name")
@_VERSION
def prompts_show(name: str, version: str | None) -> None:
    """Print template NAME's source (to copy it: prompts show pin_copy > DIR/pin_copy.j2)."""
    from pinterest_agent.queues.entry.eval_backend import template_library

    settings = load_settings()
    store = _versions(settings) if version not in (None, "packaged") else None
    library, _ = template_library(settings, store, version=version)
    click.echo(library.source(name).rstrip("\n"))


@prompts.command("render")
@click.argument("name")
@click.argument("brief_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def prompts_render(name: str, brief_file: Path) -> None:
    """Render the copy template NAME for a brief: the exact system and user messages."""
    from pinterest_agent.agents.messages import PinBrief
    from pinterest_agent.agents.writer import copy_variables
    from pinterest_agent.prompts.loader import PromptLibrary
    from pinterest_agent.queues.jobs.publish import decode_message

    brief = decode_message(PinBrief, read_json(brief_file))
    rendered = PromptLibrary(load_settings().prompts_dir).render(name, copy_variables(brief))
    click.echo(f"# template {rendered.name} ({rendered.hash})\n# --- system\n{rendered.system}")
    click.echo(f"# --- user\n{rendered.user}")


# -- evals --------------------------------------------------------------------------------------


def _run(
    settings: Settings, suite: Suite, library: PromptLibrary, named: str, *,
    client: redis.Redis[bytes] | None, model: str | None, repeat: int | None, cache: bool,
    concurrency: int, stand_in: bool = False,
) -> SuiteResult:
    from pinterest_agent.agents.workbench.runner import run_suite
    from pinterest_agent.queues.entry.eval_backend import eval_backend
    from pinterest_agent.queues.stores.prompts import RedisPromptUsage

    _quiet_calls()
    titles = None
    if client is not None:
        usage = RedisPromptUsage(client, settings.key_prefix)

        def titles(channel: str, limit: int) -> list[str]:
            return usage.recent_titles(channel, limit=limit)

    with eval_backend(settings, library=library, model=model, cache=cache and client is not None,
                      redis_client=client, warn=_warn, stand_in=stand_in) as backend:
        if cache and client is None:
            _warn("Redis does not answer: running without the LLM cache")
        click.echo(f"{suite.name}: {named} templates, model {backend.llm.model} at "
                   f"{backend.endpoint}", err=True)
        total = len(suite.cases) * (repeat or suite.repeat)
        lock = threading.Lock()
        with click.progressbar(length=total, label=f"eval {suite.name}", file=sys.stderr,
                               show_pos=True) as bar:
            def advance(_: CaseRun) -> None:
                with lock:
                    bar.update(1)

            return run_suite(suite, backend.llm, cache=backend.cache, templates=named,
                             prices=backend.prices, titles=titles, repeat=repeat,
                             concurrency=concurrency, on_run=advance,
                             endpoint=backend.endpoint)


def _write_reports(result: SuiteResult, json_out: Path | None, html_out: Path | None) -> None:
    from pinterest_agent.agents.workbench.reports import html_report, json_report

    if json_out is not None:
        json_out.write_text(json_report(result), encoding="utf-8")
        click.echo(f"JSON report: {json_out}", err=True)
    if html_out is not None:
        html_out.write_text(html_report(result), encoding="utf-8")
        click.echo(f"HTML report: {html_out}", err=True)


@prompts.command("eval")
@click.argument("suite_ref", metavar="SUITE")
@_TEMPLATES
@_VERSION
@_MODEL
@_REPEAT
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JSON to this file.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write an HTML report to this file.")
@_NO_CACHE
@_CONCURRENCY
@_SANDBOX
def prompts_eval(suite_ref: str, folder: Path | None, version: str | None, model: str | None,
                 repeat: int | None, json_out: Path | None, html_out: Path | None,
                 no_cache: bool, concurrency: int, sandbox: bool) -> None:
    """Run eval SUITE (a file, or a packaged suite: pin_copy, design_spec, channel_insight)
    and print a case x assertion table; exit 1 when the pass rate is under its threshold."""
    require_extra("evals", "prompts eval")
    from pinterest_agent.agents.workbench.reports import text_report
    from pinterest_agent.agents.workbench.suites import load_suite
    from pinterest_agent.queues.entry.eval_backend import template_library
    from pinterest_agent.queues.stores.prompts import RedisPromptVersions

    if folder is not None and version is not None:
        raise click.UsageError("give --templates or --version, not both")
    settings = load_settings()
    suite = load_suite(suite_ref)
    client = _redis(settings, required=version not in (None, "packaged"))
    store = RedisPromptVersions(client, settings.key_prefix) if client is not None else None
    library, named = template_library(settings, store, folder=folder, version=version)
    result = _run(settings, suite, library, named, client=client, model=model, repeat=repeat,
                  cache=not no_cache, concurrency=concurrency, stand_in=sandbox)
    for line in text_report(result):
        click.echo(line)
    _write_reports(result, json_out, html_out)
    sys.exit(0 if result.passed else 1)


def _is_suite(ref: str) -> bool:
    if ref.endswith((".yaml", ".yml")):
        return True
    if Path(ref).is_file():  # a brief (comparing copy for briefs needs no evals extra)
        return False
    require_extra("evals", "prompts compare on a suite")
    from pinterest_agent.agents.workbench.suites import packaged_suites

    return ref in packaged_suites()


@prompts.command("compare")
@click.argument("targets", nargs=-1, required=True, metavar="SUITE | BRIEF...")
@click.option("--a", "spec_a", default=None,
              help="Version A: a folder, a version number or label (default: packaged).")
@click.option("--b", "spec_b", required=True, help="Version B: a folder, a version or a label.")
@_MODEL
@_REPEAT
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write both runs and the comparison as JSON to this file.")
@_NO_CACHE
@_CONCURRENCY
@_SANDBOX
def prompts_compare(targets: tuple[str, ...], spec_a: str | None, spec_b: str,
                    model: str | None, repeat: int | None, json_out: Path | None,
                    no_cache: bool, concurrency: int, sandbox: bool) -> None:
    """Run SUITE with template versions A and B: pass rate per assertion side by side, the
    difference, and the cases whose verdict changed. Given brief files instead of a suite,
    write copy for each with A and B and print both with Pinterest's checks (or the typed
    failure, when the model's copy still broke a rule after the repair round, or it refused)."""
    from pinterest_agent.queues.entry.eval_backend import template_spec
    from pinterest_agent.queues.stores.prompts import RedisPromptVersions

    settings = load_settings()
    needs_store = any(s is not None and not Path(s).is_dir() and s != "packaged"
                      for s in (spec_a, spec_b))
    client = _redis(settings, required=needs_store)
    store = RedisPromptVersions(client, settings.key_prefix) if client is not None else None
    library_a, named_a = template_spec(settings, store, spec_a)
    library_b, named_b = template_spec(settings, store, spec_b)
    if len(targets) == 1 and _is_suite(targets[0]):
        require_extra("evals", "prompts compare on a suite")
        from pinterest_agent.agents.workbench.comparison import compare_results, comparison_report
        from pinterest_agent.agents.workbench.suites import load_suite

        suite = load_suite(targets[0])
        runs = [_run(settings, suite, library, named, client=client, model=model,
                     repeat=repeat, cache=not no_cache, concurrency=concurrency,
                     stand_in=sandbox)
                for library, named in ((library_a, named_a), (library_b, named_b))]
        comparison = compare_results(*runs)
        for line in comparison_report(comparison):
            click.echo(line)
        if json_out is not None:
            json_out.write_text(comparison.model_dump_json(indent=2), encoding="utf-8")
        return
    _compare_briefs(settings, targets, {"A": (library_a, named_a), "B": (library_b, named_b)},
                    model=model, client=client, cache=not no_cache, stand_in=sandbox)


def _compare_briefs(settings: Settings, targets: tuple[str, ...],
                    versions: dict[str, tuple[PromptLibrary, str]], *, model: str | None,
                    client: redis.Redis[bytes] | None, cache: bool, stand_in: bool) -> None:
    from pinterest_agent.agents.llm import LLMOutputInvalidError, LLMRefusalError, LLMTruncatedError
    from pinterest_agent.agents.messages import PinBrief
    from pinterest_agent.agents.writer import TEMPLATE, copy_problems, write_copy
    from pinterest_agent.queues.entry.eval_backend import eval_backend
    from pinterest_agent.queues.jobs.publish import decode_message

    paths = [Path(t) for t in targets]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise click.UsageError(f"no such brief file or suite: {', '.join(missing)}")
    rows = []
    with eval_backend(settings, library=versions["A"][0], model=model,
                      cache=cache and client is not None, redis_client=client,
                      warn=_warn, stand_in=stand_in) as backend:
        for path in paths:
            brief = decode_message(PinBrief, read_json(path))
            row: dict[str, object] = {"brief": str(path)}
            for label, (library, named) in versions.items():
                try:
                    result = write_copy(brief, backend.llm.using(prompts=library))
                except (LLMOutputInvalidError, LLMRefusalError, LLMTruncatedError) as exc:
                    row[label] = {"templates": named, "template_hash": library.hash(TEMPLATE),
                                  "failed": {"code": exc.code, "message": exc.message}}
                    continue
                row[label] = {
                    "templates": named,
                    "template_hash": result.llm.template_hash,
                    "title": result.copy.title,
                    "description": result.copy.description,
                    "checks": copy_problems(result.copy, brief) or "all passed",
                    "repaired": result.llm.repaired,
                    "tokens": {"in": result.llm.input_tokens, "out": result.llm.output_tokens},
                }
            rows.append(row)
    echo_json(rows)


@prompts.command("export-promptfoo")
@click.argument("suite_ref", metavar="SUITE")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
@_TEMPLATES
@_VERSION
@_MODEL
def prompts_export_promptfoo(suite_ref: str, out_dir: Path, folder: Path | None,
                             version: str | None, model: str | None) -> None:
    """Write a promptfoo config, a Python prompt function rendering with this project's Jinja2
    loader, and Python assertions running this project's checks."""
    require_extra("evals", "prompts export-promptfoo")
    from pinterest_agent.agents.workbench.promptfoo import export_promptfoo
    from pinterest_agent.agents.workbench.suites import load_suite
    from pinterest_agent.queues.entry.eval_backend import template_library
    from pinterest_agent.queues.stores.prompts import RedisPromptUsage, RedisPromptVersions

    settings = load_settings()
    suite = load_suite(suite_ref)
    client = _redis(settings, required=version not in (None, "packaged"))
    store = RedisPromptVersions(client, settings.key_prefix) if client is not None else None
    library, named = template_library(settings, store, folder=folder, version=version)
    titles = None
    if client is not None:
        usage = RedisPromptUsage(client, settings.key_prefix)

        def titles(channel: str, limit: int) -> list[str]:
            return usage.recent_titles(channel, limit=limit)

    written = export_promptfoo(suite, library, out_dir, model=model or settings.openai_model,
                               titles=titles, base_url=settings.openai_base_url)
    click.echo(f"{suite.name} ({named} templates) for promptfoo:")
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"run: cd {out_dir} && npx promptfoo@latest eval  (see README.md there)")


# -- versions, labels, rollouts -----------------------------------------------------------------


@prompts.command("publish")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--label", default=None, help="Also point this label (staging, production) at it.")
@click.option("--note", default="", help="What changed, for `prompts versions`.")
@click.option("--author", default=getpass.getuser, show_default="your user name")
def prompts_publish(folder: Path, label: str | None, note: str, author: str) -> None:
    """Store FOLDER's *.j2 templates as a new numbered version in Redis (the same set again
    gives the same version); workers pick it up when their label points at it."""
    from pinterest_agent.agents.prompting.versions import check_label, read_template_dir

    if label is not None:
        check_label(label)
    sources = read_template_dir(folder)
    store = _store(load_settings())
    version, created = store.publish(sources, note=note, author=author, now=datetime.now(UTC))
    templates = ", ".join(f"{n} {version.template_hash(n)}" for n in sorted(version.templates))
    click.echo(f"{'published' if created else 'already published as'} v{version.version}: "
               f"{templates}")
    if label is not None:
        previous = store.move_label(label, version.version)
        click.echo(_moved(label, previous, version.version))


def _moved(label: str, previous: int | None, current: int | None) -> str:
    before = f"v{previous}" if previous else "packaged"
    after = f"v{current}" if current else "packaged"
    return f"{label}: {before} -> {after}"


@prompts.command("versions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def prompts_versions(as_json: bool) -> None:
    """Published versions, the labels pointing at them, and running rollouts."""
    from pinterest_agent.agents.prompting.tables import text_table

    store = _store(load_settings())
    versions = store.versions()
    routing = store.routing()
    if as_json:
        echo_json({"versions": [v.model_dump(mode="json") for v in versions],
                   "routing": routing.model_dump(mode="json")})
        return
    if not versions:
        click.echo("no version published yet: every worker uses the packaged templates")
        return
    labels: dict[int, list[str]] = {}
    for name, number in sorted(routing.labels.items()):
        labels.setdefault(number, []).append(name)
    rows = [["version", "labels", "published", "author", "templates", "note"]]
    for v in versions:
        rows.append([f"v{v.version}", ",".join(labels.get(v.version, [])),
                     v.created_at.strftime("%Y-%m-%d %H:%M"), v.author,
                     " ".join(f"{n}:{v.template_hash(n)[:8]}" for n in sorted(v.templates)),
                     v.note])
    for line in text_table(rows):
        click.echo(line)
    for rollout in routing.rollouts.values():
        click.echo(f"rollout: {rollout.template} v{rollout.candidate} for {rollout.share:.0%} of "
                   f"briefs, the rest {rollout.label}'s")


def _version_number(store: RedisPromptVersions, spec: str) -> int:
    """A version given by number (``3``, ``v3``) or by a label pointing at it (``staging``)."""
    from pinterest_agent.agents.prompting.errors import UnknownVersionError
    from pinterest_agent.agents.prompting.versions import check_label

    digits = spec.removeprefix("v")
    if digits.isdigit():
        return int(digits)
    number = store.routing().labels.get(check_label(spec))
    if number is None:
        raise UnknownVersionError(f"the label {spec!r} points at no version; `pinterest-agent "
                                  "prompts versions` lists them", label=spec)
    return number


@prompts.command("promote")
@click.argument("version")
@click.option("--label", default="production", show_default=True)
def prompts_promote(version: str, label: str) -> None:
    """Point LABEL at VERSION (a number, or a label such as staging), atomically; the move is
    kept for `prompts rollback`. A rollout of that version under that label ends: every brief
    now gets it."""
    store = _store(load_settings())
    number = _version_number(store, version)
    click.echo(_moved(label, store.move_label(label, number), number))


@prompts.command("rollback")
@click.option("--label", default="production", show_default=True)
def prompts_rollback(label: str) -> None:
    """Point LABEL back at the version it pointed at before its last move (packaged templates
    when there was none)."""
    store = _store(load_settings())
    current, previous = store.rollback(label)
    click.echo(_moved(label, current, previous))


@prompts.command("rollout")
@click.argument("template")
@click.option("--candidate", default=None,
              help="The published version whose TEMPLATE a share of briefs gets (a number, or a "
              "label such as staging).")
@click.option("--share", type=click.FloatRange(0.0, 1.0), default=None,
              help="The share of briefs (0.2 = 20 %), chosen by a hash of brief_id.")
@click.option("--label", default="production", show_default=True,
              help="The label the other briefs follow.")
@click.option("--stop", is_flag=True, help="End TEMPLATE's rollout.")
def prompts_rollout(template: str, candidate: str | None, share: float | None, label: str,
                    stop: bool) -> None:
    """Send a stable share of briefs to a candidate version of TEMPLATE; the rest keep the
    label's. Raising the share keeps every brief already on the candidate there."""
    from pinterest_agent.agents.prompting.errors import UnknownVersionError
    from pinterest_agent.agents.prompting.versions import Rollout, check_label

    store = _store(load_settings())
    if stop or share == 0:
        ended = store.end_rollout(template)
        click.echo(f"{template}: rollout of v{ended.candidate} ended" if ended
                   else f"{template} has no rollout")
        return
    if candidate is None or share is None:
        raise click.UsageError("give --candidate V and --share S (or --stop)")
    check_label(label)
    number = _version_number(store, candidate)
    found = store.version(number)
    if found is None or template not in found.templates:
        raise UnknownVersionError(
            f"version {number} has no {template} template; publish a folder holding "
            f"{template}.j2 and roll that version out", version=number,
        )
    store.set_rollout(Rollout(template=template, candidate=number, share=share, label=label,
                              started_at=datetime.now(UTC)))
    base = store.routing().labels.get(label)
    click.echo(f"{template}: {share:.0%} of briefs get v{number}, the rest {label}'s "
               f"({f'v{base}' if base else 'packaged'})")


@prompts.command("report")
@click.argument("channel_id", callback=channel_param)
@click.option("--days", type=click.IntRange(1, 89), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def prompts_report(channel_id: str, days: int, as_json: bool) -> None:
    """Template versions compared by the measured results (impressions, saves, save rate,
    outbound clicks) of the Pins each wrote on CHANNEL over the last DAYS days."""
    from pinterest_agent.agents.prompting.performance import report_lines
    from pinterest_agent.queues.entry.prompt_report import run_version_report

    report = run_version_report(runtime(), channel_id, days=days)
    if as_json:
        echo_json(report.model_dump(mode="json"))
        return
    for line in report_lines(report):
        click.echo(line)


# -- draft --------------------------------------------------------------------------------------


@click.command()
@click.argument("brief_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to save the rendered image (default: BRIEF_ID.jpg).")
def draft(brief_file: Path, out: Path | None) -> None:
    """Write and design one brief in-process (no publish); print the copy, save the image."""
    from pinterest_agent.agents.drafting import draft_post
    from pinterest_agent.agents.messages import PinBrief
    from pinterest_agent.agents.writer import copy_problems
    from pinterest_agent.queues.jobs.publish import decode_message

    rt = runtime()
    brief = decode_message(PinBrief, read_json(brief_file))
    llm, versions = rt.llm_for(brief.brief_id)
    made = draft_post(brief, llm=llm, fetcher=rt.fetcher, image_generator=rt.image_generator,
                      max_source_bytes=rt.settings.max_source_image_bytes,
                      source_rules=rt.source_rules, vision=rt.settings.openai_vision)
    path = out or Path(f"{brief.brief_id}.jpg")
    path.write_bytes(made.image.data)
    echo_json({
        "copy": made.copy.model_dump(),
        "checks": copy_problems(made.copy, brief) or "all passed",
        "design": made.design.model_dump(mode="json"),
        "image": {"path": str(path), "size": [made.image.width, made.image.height],
                  "layout": made.image.layout,
                  "contrast_ratio": round(made.image.contrast_ratio, 2)},
        "provenance": {**made.provenance.as_dict(), "versions": versions.as_dict()},
    })
