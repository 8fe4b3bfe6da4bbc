"""``pinterest-agent draft | prompts``: for prompt engineers iterating on templates.

``prompts render pin_copy brief.json`` shows exactly what the model receives (and the template's
hash); ``draft brief.json`` runs writer -> designer -> renderer in-process against the configured
model (or the sandbox) and prints the copy, the checks and where the image went, without
publishing; ``prompts compare --b my-templates briefs...`` writes copy with two template versions
on the same briefs and prints them side by side.
"""

from __future__ import annotations

from pathlib import Path

import click

from agents.drafting import draft_post
from agents.messages import PinBrief
from agents.writer import copy_problems, copy_variables
from queues.cli_support import echo_json, read_json, runtime
from queues.jobs import decode_message
from queues.settings import load_settings

__all__ = ["draft", "prompts"]


@click.group()
def prompts() -> None:
    """Inspect the prompt templates."""


@prompts.command("list")
def prompts_list() -> None:
    """Template names and content hashes (packaged or from PINTEREST_AGENT_PROMPTS_DIR)."""
    from prompts.loader import PromptLibrary

    library = PromptLibrary(load_settings().prompts_dir)
    for name in library.names():
        click.echo(f"{name}  {library.hash(name)}")


@prompts.command("render")
@click.argument("name")
@click.argument("brief_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def prompts_render(name: str, brief_file: Path) -> None:
    """Render the copy template NAME for a brief: the exact system and user messages."""
    from prompts.loader import PromptLibrary

    brief = decode_message(PinBrief, read_json(brief_file))
    rendered = PromptLibrary(load_settings().prompts_dir).render(name, copy_variables(brief))
    click.echo(f"# template {rendered.name} ({rendered.hash})\n# --- system\n{rendered.system}")
    click.echo(f"# --- user\n{rendered.user}")


@prompts.command("compare")
@click.argument("briefs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--a", "dir_a", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Templates of version A (default: the packaged ones).")
@click.option("--b", "dir_b", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Templates of version B.")
def prompts_compare(briefs: tuple[Path, ...], dir_a: Path | None, dir_b: Path) -> None:
    """Write copy for each brief with template versions A and B against the configured model;
    print both side by side with Pinterest's checks and the tokens each cost."""
    from agents.llm import OpenAIStructuredLLM
    from agents.writer import write_copy
    from prompts.loader import PromptLibrary

    rt = runtime()
    versions = {"A": PromptLibrary(dir_a), "B": PromptLibrary(dir_b)}
    rows = []
    for path in briefs:
        brief = decode_message(PinBrief, read_json(path))
        row: dict[str, object] = {"brief": str(path)}
        for label, library in versions.items():
            llm = OpenAIStructuredLLM(rt.openai_client, model=rt.settings.openai_model,
                                      prompts=library)
            result = write_copy(brief, llm)
            row[label] = {
                "template_hash": result.llm.template_hash,
                "title": result.copy.title,
                "description": result.copy.description,
                "checks": copy_problems(result.copy, brief) or "all passed",
                "repaired": result.llm.repaired,
                "tokens": {"in": result.llm.input_tokens, "out": result.llm.output_tokens},
            }
        rows.append(row)
    echo_json(rows)


@click.command()
@click.argument("brief_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to save the rendered image (default: BRIEF_ID.jpg).")
def draft(brief_file: Path, out: Path | None) -> None:
    """Write and design one brief in-process (no publish); print the copy, save the image."""
    rt = runtime()
    brief = decode_message(PinBrief, read_json(brief_file))
    made = draft_post(brief, llm=rt.llm, fetcher=rt.fetcher, image_generator=rt.image_generator,
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
        "provenance": made.provenance.as_dict(),
    })
