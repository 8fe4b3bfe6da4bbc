"""Published template versions: numbered, content-addressed sets of templates, and labels.

A *version* is a set of template sources (``name -> text``) published together with
``prompts publish DIR``: each source is stored once under its SHA-256, the set gets the next
version number, an author note and the time. Publishing a set identical to an earlier one gives
back that version (the set is named by its digest). A *label* (``production``, ``staging``, any
short lowercase name) points at one version; workers follow one label (``production`` by
default), so moving it changes the prompts every worker uses on its next job, without a
redeploy. Each move is kept in the label's history for ``prompts rollback``. A *rollout* sends a
stable share of briefs to a candidate version of one template (:mod:`agents.prompting.rollout`).

:class:`VersionStore` is what the workbench needs from storage; ``queues.stores.prompts`` keeps it
in Redis, moving labels and rollouts atomically (Lua). Nothing here reads the environment.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pinterest_agent.agents.prompting.errors import UnknownVersionError
from pinterest_agent.prompts.loader import SUFFIX, PromptTemplateError

__all__ = [
    "DEFAULT_LABEL",
    "LABEL_PATTERN",
    "Rollout",
    "Routing",
    "TemplateRef",
    "TemplateVersion",
    "UnknownVersionError",
    "VersionStore",
    "check_label",
    "read_template_dir",
    "set_digest",
    "source_digest",
]

DEFAULT_LABEL = "production"
LABEL_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
Arm = Literal["label", "candidate", "packaged", "override"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateVersion(_Model):
    """One published set of templates."""

    version: int = Field(ge=1)
    templates: dict[str, str] = Field(description="Template name -> SHA-256 of its source.")
    set_sha256: str
    note: str = ""
    author: str = ""
    created_at: AwareDatetime

    def template_hash(self, name: str) -> str:
        """The loader's hash of ``name`` in this version (first 16 hex digits)."""
        return self.templates[name][:16]


class Rollout(_Model):
    """``share`` of the subjects (briefs) get ``candidate``'s ``template``; the rest get the
    version ``label`` points at (or the packaged template when it points nowhere)."""

    template: str
    candidate: int = Field(ge=1)
    share: float = Field(ge=0.0, le=1.0)
    label: str = DEFAULT_LABEL
    started_at: datetime


class Routing(_Model):
    """Every label and rollout, read in one round trip at job time."""

    labels: dict[str, int] = Field(default_factory=dict)
    rollouts: dict[str, Rollout] = Field(default_factory=dict)
    serial: int = Field(default=0, description="Bumped by every label move or rollout change.")


class TemplateRef(_Model):
    """Which version of one template wrote something: the number and label (``None`` for
    packaged or ``PROMPTS_DIR`` templates), whether it came by the label or a rollout, and the
    template's hash."""

    version: int | None = None
    label: str | None = None
    arm: Arm = "packaged"
    hash: str

    @property
    def key(self) -> str:
        """How reports name it: ``v3``, or ``packaged 1a2b3c4d`` (by hash)."""
        if self.version is not None:
            return f"v{self.version}"
        return f"{self.arm} {self.hash[:8]}"


class VersionStore(Protocol):
    """Published versions, labels and rollouts (``queues.stores.prompts.RedisPromptVersions``)."""

    def publish(
        self, sources: Mapping[str, str], *, note: str, author: str, now: datetime,
        label: str | None = None,
    ) -> tuple[TemplateVersion, bool]:
        """Store the set (once); returns its version and whether it is new. With ``label``,
        also moves that label to it."""
        ...

    def version(self, number: int) -> TemplateVersion | None: ...

    def versions(self) -> list[TemplateVersion]: ...

    def sources(self, number: int) -> dict[str, str]:
        """Every template source of version ``number`` (``UnknownVersionError`` if none)."""
        ...

    def routing(self) -> Routing: ...

    def move_label(self, label: str, number: int) -> int | None:
        """Point ``label`` at ``number`` atomically; returns the version it pointed at."""
        ...

    def rollback(self, label: str) -> tuple[int, int | None]:
        """Point ``label`` back at the version it pointed at before its last move; returns
        ``(from, to)`` (``to`` is None when the label had no earlier version and is removed)."""
        ...

    def label_history(self, label: str) -> list[int]: ...

    def set_rollout(self, rollout: Rollout) -> None: ...

    def end_rollout(self, template: str) -> Rollout | None: ...


def check_label(label: str) -> str:
    if not LABEL_PATTERN.match(label):
        raise PromptTemplateError(
            f"label {label!r} is not a label name; use a short lowercase name such as "
            "production or staging", code="invalid_prompt_label",
        )
    return label


def source_digest(text: str) -> str:
    """The full SHA-256 hex of a template's source (its first 16 digits are the loader's hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def set_digest(sources: Mapping[str, str]) -> str:
    """The SHA-256 naming a set of templates (by name and content, order-free)."""
    named = {name: source_digest(text) for name, text in sources.items()}
    return hashlib.sha256(json.dumps(named, sort_keys=True).encode("utf-8")).hexdigest()


def read_template_dir(path: Path) -> dict[str, str]:
    """Every ``*.j2`` template in ``path`` by name (without the suffix)."""
    if not path.is_dir():
        raise PromptTemplateError(
            f"{path} is not a directory of templates; pass the folder holding your *.j2 files"
        )
    found = {p.name.removesuffix(SUFFIX): p.read_text(encoding="utf-8")
             for p in sorted(path.glob(f"*{SUFFIX}")) if p.is_file()}
    if not found:
        raise PromptTemplateError(
            f"{path} holds no *{SUFFIX} template; copy one there first "
            "(pinterest-agent prompts show pin_copy > DIR/pin_copy.j2)"
        )
    return found
