"""Lua scripts kept as ``.lua`` files next to the code that runs them, read once at import.

Each subpackage that runs scripts keeps them in its ``lua/`` folder (``stores/lua/``,
``broker/lua/``), as Dramatiq keeps ``dramatiq/brokers/redis/*.lua``. A module loads its scripts
at import::

    _ACQUIRE_LEASE = load_script("pinterest_agent.queues.stores", "ledger_acquire_lease")

Shared fragments (``now_ms.lua``, ``take_slot.lua``, ``free_slot.lua``,
``ledger_set_creating.lua``) are composed by one explicit include: a line
``-- #include NAME.lua`` is replaced by that file's text from the same folder, indented like the
line (includes may nest; a cycle is an error). A fragment's opening comment names the Lua locals
it uses and sets, which the including script must define. Nothing else is preprocessed.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["INCLUDE", "load_script", "script_names"]

INCLUDE = "-- #include "


@cache
def load_script(package: str, name: str) -> str:
    """The text of ``lua/{name}.lua`` in *package*, its includes expanded."""
    return _expand(package, name, ())


def script_names(package: str) -> list[str]:
    """Every script in *package*'s ``lua/`` folder (fragments included), by name."""
    folder = files(package).joinpath("lua")
    return sorted(entry.name.removesuffix(".lua") for entry in folder.iterdir()
                  if entry.name.endswith(".lua"))


def _expand(package: str, name: str, seen: tuple[str, ...]) -> str:
    if name in seen:
        raise ValueError(f"Lua include cycle: {' -> '.join((*seen, name))}")
    text = files(package).joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(INCLUDE):
            indent = line[: len(line) - len(line.lstrip())]
            included = _expand(package, stripped[len(INCLUDE):].removesuffix(".lua"),
                               (*seen, name))
            lines += [indent + part if part else part for part in included.splitlines()]
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"
