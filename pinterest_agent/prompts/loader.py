"""Load and render the prompt templates (``prompts/templates/*.j2``).

Prompts are data: a prompt engineer edits a ``.j2`` file, never Python. A template names its two
messages as Jinja blocks::

    {% block system %}You write Pinterest copy ...{% endblock %}
    {% block user %}<brief>{{ brief | as_data }}</brief>{% endblock %}

Text outside the blocks is ignored (use it for ``{# comments #}``). Rendering runs in a
``SandboxedEnvironment`` with ``StrictUndefined``: a template cannot reach Python internals, and a
misspelt variable is an error instead of an empty string.

Untrusted text (a brief written upstream) enters a prompt only through the ``as_data`` filter: it
becomes one JSON value with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``,
so nothing inside it can close the ``<brief>...</brief>`` delimiters around it; the system message
says that the delimited part is data, never instructions.

Packaged templates are read with ``importlib.resources``; ``PromptLibrary(override_dir)`` looks in
the override directory first (the ``prompts_dir`` setting), so a prompt engineer can iterate on a
copy without reinstalling. ``PromptLibrary(sources={"pin_copy": "..."})`` puts templates held in
memory (a published version loaded from Redis, see ``agents.workbench``) ahead of both. Every
rendering carries the template's name and ``hash`` (the first 16 hex digits of the SHA-256 of the
template's source), which travel with every LLM output.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    DictLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
)
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from pinterest_agent.errors import ConfigurationError

__all__ = [
    "SUFFIX",
    "PromptLibrary",
    "PromptTemplateError",
    "RenderedPrompt",
    "as_data",
]

SUFFIX = ".j2"
"""Template files end with this; names are given without it (``"pin_copy"``)."""

_BLOCKS = ("system", "user")


class PromptTemplateError(ConfigurationError):
    """A template is missing, malformed, or needs a variable the caller did not pass."""

    default_code = "prompt_template"


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """The two messages of one rendered template, with the template's identity."""

    name: str
    hash: str
    system: str
    user: str


def as_data(value: Any) -> str:
    """Serialise ``value`` as one JSON value that cannot break out of ``<tag>...</tag>`` delimiters.

    Pydantic models are dumped in JSON mode; ``<``, ``>`` and ``&`` are escaped as JSON unicode
    escapes, which a model reads as the same characters.
    """
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


class _PackagedLoader(BaseLoader):
    """Templates shipped inside the ``prompts`` package (works from wheels and zips too).

    The package's folder is found once (through ``importlib.resources``, which costs more than
    rendering); each template file is read when asked for, as a directory loader does."""

    def __init__(self) -> None:
        self._folder = resources.files("pinterest_agent.prompts").joinpath("templates")

    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Any]:
        node = self._folder.joinpath(template)
        if not node.is_file():
            raise TemplateNotFound(template)
        return node.read_text(encoding="utf-8"), None, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(p.name for p in self._folder.iterdir() if p.name.endswith(SUFFIX))


class PromptLibrary:
    """Find, hash and render templates; ``sources`` win over ``override_dir``, which wins over
    the packaged ones."""

    def __init__(
        self, override_dir: Path | None = None, *, sources: Mapping[str, str] | None = None
    ) -> None:
        self.override_dir = override_dir
        self.sources = {_file(name): text for name, text in (sources or {}).items()}
        loaders: list[BaseLoader] = []
        if self.sources:
            loaders.append(DictLoader(self.sources))
        if override_dir is not None:
            if not override_dir.is_dir():
                raise PromptTemplateError(
                    f"prompts directory {override_dir} does not exist; fix the prompts_dir "
                    "setting or unset it to use the packaged templates"
                )
            loaders.append(FileSystemLoader(str(override_dir)))
        loaders.append(_PackagedLoader())
        self._env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["as_data"] = as_data
        self._compiled: dict[str, Template] = {}  # by source hash: edits recompile, repeats don't

    def names(self) -> list[str]:
        """Every template name either source offers, without the suffix."""
        return sorted({n.removesuffix(SUFFIX) for n in self._env.list_templates(extensions=["j2"])})

    def source(self, name: str) -> str:
        loader = self._env.loader
        assert loader is not None
        try:
            text, _, _ = loader.get_source(self._env, _file(name))
        except TemplateNotFound as exc:
            raise PromptTemplateError(f"no prompt template named {name!r}", name=name) from exc
        return text

    def hash(self, name: str) -> str:
        """First 16 hex digits of the SHA-256 of the template's source."""
        return _digest(self.source(name))

    def pinned(self, names: Iterable[str]) -> PromptLibrary:
        """A library whose templates ``names`` are the sources read now: a run that renders
        them many times (an eval suite) uses one version of each throughout, even if a file is
        edited meanwhile, and reads each file once."""
        read = {name: self.source(name) for name in names}
        return PromptLibrary(self.override_dir, sources={**read, **self.sources})

    def render(self, name: str, variables: Mapping[str, Any]) -> RenderedPrompt:
        """Render the ``system`` and ``user`` blocks of template ``name`` with ``variables``."""
        name = name.removesuffix(SUFFIX)
        source = self.source(name)
        digest = _digest(source)
        try:
            template = self._compiled.get(digest)
            if template is None:
                template = self._compiled[digest] = self._env.from_string(source)
            missing = [b for b in _BLOCKS if b not in template.blocks]
            if missing:
                raise PromptTemplateError(
                    f"prompt template {name!r} lacks the block(s) {', '.join(missing)}; a template "
                    "defines {% block system %} and {% block user %}",
                    name=name,
                )
            context = template.new_context(dict(variables))
            parts = {b: "".join(template.blocks[b](context)).strip() for b in _BLOCKS}
        except PromptTemplateError:
            raise
        except TemplateError as exc:
            raise PromptTemplateError(
                f"prompt template {name!r} failed to render: {exc}", name=name
            ) from exc
        return RenderedPrompt(name=name, hash=digest, system=parts["system"], user=parts["user"])


@functools.lru_cache(maxsize=64)
def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _file(name: str) -> str:
    return name if name.endswith(SUFFIX) else name + SUFFIX
