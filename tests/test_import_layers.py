"""Dependencies point one way (DESIGN.md, "Layout"): ``queues -> agents -> providers``, and the
subpackages of ``queues/`` (broker, jobs, stores, entry, console) import one another without
cycles. Read statically from the source, so nothing is imported to check it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pinterest_agent

ROOT = Path(pinterest_agent.__file__).parent


def _group(module: str) -> str:
    """``queues.<subpackage>`` for a module in a subpackage of queues/, ``queues`` for its
    top-level modules, else the top-level package (``agents``, ``providers``, ...)."""
    parts = module.split(".")[1:]
    if parts[:1] == ["queues"] and len(parts) > 1 and (ROOT / "queues" / parts[1]).is_dir():
        return f"queues.{parts[1]}"
    return parts[0] if parts else ""


def _imports() -> dict[str, dict[str, set[str]]]:
    """group -> imported group -> the files that import it."""
    edges: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        source = _group(".".join(("pinterest_agent", *relative.with_suffix("").parts)))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("pinterest_agent.") and _group(target) != source:
                    edges[source][_group(target)].add(str(relative))
    return edges


def test_agents_and_providers_never_import_queues() -> None:
    edges = _imports()

    for layer in ("agents", "providers", "prompts"):
        assert not {target: files for target, files in edges[layer].items()
                    if target.startswith("queues")}, layer


def test_no_cycles_between_queues_subpackages() -> None:
    edges = _imports()
    subpackages = [group for group in edges if group.startswith("queues.")]

    cycles = [(a, b, sorted(edges[a][b]), sorted(edges[b][a]))
              for a in subpackages for b in subpackages
              if a < b and b in edges[a] and a in edges[b]]
    assert not cycles
