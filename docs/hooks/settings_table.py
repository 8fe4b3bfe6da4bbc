"""MkDocs hook: replace ``<!-- settings-table -->`` in a page with the table of every field of
the settings class (environment variable, default, description), and
``<!-- settings-table: name other_name -->`` with the rows of those fields only.

The class is named once, in ``mkdocs.yml`` (``extra: settings_class: MODULE:CLASS``), so a moved
module is a one-line change. A field without a description, or a name that is not a field,
fails the build.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

MARKER = re.compile(r"<!-- settings-table(?::([\w\s]+))? -->")


def _default(field: Any) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def settings_table(target: str, names: list[str] | None = None) -> str:
    module, _, name = target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    prefix = cls.model_config.get("env_prefix", "")
    fields = cls.model_fields
    unknown = [n for n in names or () if n not in fields]
    if unknown:
        raise ValueError(f"{target} has no fields {unknown}")
    rows = ["| variable | default | what |", "|---|---|---|"]
    for field_name in names or list(fields):
        field = fields[field_name]
        if not field.description:
            raise ValueError(f"{target}.{field_name} has no description")
        rows.append(f"| `{prefix}{field_name.upper()}` | {_default(field)} | "
                    f"{_cell(field.description)} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, *, config: Any, **kwargs: Any) -> str:
    target = config["extra"]["settings_class"]
    return MARKER.sub(
        lambda found: settings_table(target, found.group(1).split() if found.group(1) else None),
        markdown)
