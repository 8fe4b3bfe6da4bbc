"""Every command in the README and in docs/ runs as written, offline.

Each ``bash`` block of the README and of every page under ``docs/`` is marked:
``<!-- example: run -->`` blocks are executed as one shell session (``bash -euo pipefail``), from
a scratch folder that sees the repository's ``fixtures/``, exactly as a reader following them
would type them: the README's walkthrough first (its first block starts the local sandbox on its
default ports 8765/8766 and sources the settings it writes, a later one starts a worker), then
each docs page's blocks in the order of the site's ``nav`` in ``mkdocs.yml``, top to bottom, which
go on from where the walkthrough ends. ``<!-- example: skip (why) -->`` blocks say why they cannot
run here. A block with neither fails, and so does a docs page missing from the nav.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MARK = re.compile(r"^<!-- example: (run|skip)\b(.*)-->$")
SANDBOX_PREFIX = "pinterest-agent-sandbox"

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _nav_files(entries: Any) -> list[str]:
    """The page files of a MkDocs ``nav``, in order."""
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [name for entry in entries for name in _nav_files(entry)]
    if isinstance(entries, dict):
        return [name for value in entries.values() for name in _nav_files(value)]
    return []


def pages_in_order() -> list[Path]:
    """The README, then every docs page in the site's nav order: the order examples run in."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return [README, *(DOCS / name for name in _nav_files(config["nav"]))]


def bash_blocks(page: Path) -> list[tuple[str, str, int]]:
    """``(mark, body, line)`` of every bash block; ``mark`` is "run", "skip" or "" (none)."""
    lines = page.read_text().splitlines()
    blocks: list[tuple[str, str, int]] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```bash":
            found = MARK.match(lines[index - 1].strip()) if index else None
            end = lines.index("```", index + 1)
            blocks.append((found.group(1) if found else "", "\n".join(lines[index + 1:end]),
                           index + 1))
            index = end
        index += 1
    return blocks


def test_every_docs_page_is_in_the_nav() -> None:
    in_nav = set(pages_in_order())
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p not in in_nav]
    assert not missing, f"add {missing} to mkdocs.yml's nav (or their examples never run)"


@pytest.mark.parametrize("page", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_every_bash_block_says_whether_it_runs(page: Path) -> None:
    unmarked = [line for mark, _, line in bash_blocks(page) if not mark]
    assert not unmarked, f"{page.name}: bash blocks at lines {unmarked} need an example mark"
    skipped = [line for mark, _, line in bash_blocks(page) if mark == "skip"]
    text = page.read_text().splitlines()
    for line in skipped:  # a skip says why
        assert re.search(r"skip \(.+\)", text[line - 2]), f"{page.name}:{line - 1}: give the reason"


def runnable_script() -> str:
    """Every run block, README first, then the docs pages in nav order; each announces itself."""
    parts = []
    for page in pages_in_order():
        name = page.relative_to(ROOT)
        for mark, body, line in bash_blocks(page):
            if mark == "run":
                parts.append(f"echo '--- {name}:{line}'\n{body}")
    return "\n".join(parts)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the sandbox binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_readme_runs_as_written(tmp_path: Path, redis_server: redis.Redis[bytes]) -> None:
    # Given a scratch folder beside the repository's fixtures, the sandbox's ports free and
    # nothing left in Redis under the sandbox's prefix from an earlier run
    for key in redis_server.scan_iter(match=f"{SANDBOX_PREFIX}*", count=1000):
        redis_server.delete(key)
    for port in (8765, 8766):
        assert _port_free(port), f"port {port} is taken: the README's sandbox needs it"
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    (tmp_path / "readme.sh").write_text(runnable_script() + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINTEREST_AGENT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # When every runnable block of the README and the docs runs, in order, in one shell
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "readme.sh"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=600)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the sandbox and the worker it started
        for key in redis_server.scan_iter(match=f"{SANDBOX_PREFIX}*", count=1000):
            redis_server.delete(key)
    # Then it succeeds, and what it says happened did happen
    log = output + "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}"
                           for p in tmp_path.glob("*.log"))
    assert process.returncode == 0, log[-12000:]
    assert (tmp_path / "towel.jpg").stat().st_size > 10_000
    assert '"status": "published"' in output
    assert "no dead-lettered jobs" in output or "retries=" in output
