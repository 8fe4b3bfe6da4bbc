"""Every command in the README and in docs/ runs as written, offline.

Each ``bash`` block of the README and of every page under ``docs/`` is marked:
``<!-- example: run -->`` blocks are executed as one shell session (``bash -euo pipefail``), from
a scratch folder that sees the repository's ``fixtures/``, exactly as a reader following them
would type them: the README's walkthrough first (its first block starts the local sandbox on its
default ports 8765/8766 and sources the settings it writes, a later one starts a worker), then
each docs page's blocks in the order of the site's ``nav`` in ``mkdocs.yml``, top to bottom, which
go on from where the walkthrough ends. ``<!-- example: skip (why) -->`` blocks say why they cannot
run here. A block with neither fails, and so does a docs page missing from the nav.

The walkthrough also runs on other ports, twice in the same folder, the second time after an
earlier sandbox's settings were left behind: nothing in it depends on the default ports or on
an earlier run.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
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


def runnable_script(pages: list[Path] | None = None) -> str:
    """Every run block, README first, then the docs pages in nav order; each announces itself."""
    parts = []
    for page in pages or pages_in_order():
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clean(redis_server: redis.Redis[bytes]) -> None:
    """Nothing left in Redis under any sandbox's prefix (``pinterest-agent-sandbox-*``)."""
    for key in redis_server.scan_iter(match=f"{SANDBOX_PREFIX}*", count=1000):
        redis_server.delete(key)


def _run(folder: Path, script: str, *, before_stop: Any = None) -> tuple[int, str]:
    """Run *script* as a reader's shell session in *folder*; then stop what it started (the
    sandbox and the worker: SIGTERM to its process group) and wait for them to end. Returns its
    exit status and its output with the tail of every log it wrote."""
    (folder / "readme.sh").write_text(script + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINTEREST_AGENT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)  # this checkout's package, whichever one is installed
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "readme.sh"], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=600)
        if before_stop is not None:
            before_stop()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the sandbox and the worker it started
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until they have cleaned up and exited
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    log = output + "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}"
                           for p in folder.glob("*.log"))
    return process.returncode, log


def test_the_readme_runs_as_written(tmp_path: Path, redis_server: redis.Redis[bytes]) -> None:
    # Given a scratch folder beside the repository's fixtures, the sandbox's ports free and
    # nothing left in Redis under the sandbox's prefix from an earlier run
    _clean(redis_server)
    for port in (8765, 8766):
        assert _port_free(port), f"port {port} is taken: the README's sandbox needs it"
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    # When every runnable block of the README and the docs runs, in order, in one shell
    try:
        returncode, log = _run(tmp_path, runnable_script())
    finally:
        _clean(redis_server)
    # Then it succeeds, and what it says happened did happen
    assert returncode == 0, log[-12000:]
    assert (tmp_path / "towel.jpg").stat().st_size > 10_000
    assert '"status": "published"' in log
    assert "no dead-lettered jobs" in log or "retries=" in log


def test_the_walkthrough_runs_on_other_ports_and_again_in_the_same_folder(
    tmp_path: Path, redis_server: redis.Redis[bytes]
) -> None:
    # Given the README's walkthrough with the sandbox on ports of the system's choosing
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    walkthrough = runnable_script([README])
    start = "pinterest-agent sandbox --env-file"
    assert walkthrough.count(start) == 1
    env_file = tmp_path / "sandbox.env"
    runs: list[dict[str, str]] = []
    left_behind = ""

    def keep_settings() -> None:  # while the sandbox runs: its settings, as a `kill -9` leaves
        nonlocal left_behind
        left_behind = env_file.read_text(encoding="utf-8")
        shown = subprocess.run(["bash", "-c", f". {env_file} && env"], capture_output=True,
                               text=True, check=True).stdout
        runs.append(dict(line.split("=", 1) for line in shown.splitlines() if "=" in line))

    try:
        for attempt in (1, 2):
            if attempt == 2:  # an earlier sandbox's settings left behind
                env_file.write_text(left_behind, encoding="utf-8")
            port, https_port = _free_port(), _free_port()
            script = walkthrough.replace(
                start, f"pinterest-agent sandbox --port {port} --https-port {https_port} "
                       "--env-file")
            # When it runs, in the same folder each time
            returncode, log = _run(tmp_path, script, before_stop=keep_settings)
            # Then it succeeds on those ports, and publishes the brief's Pin
            assert returncode == 0, f"run {attempt}:\n{log[-12000:]}"
            assert '"status": "published"' in log
            assert runs[-1]["PINTEREST_AGENT_SANDBOX_URL"] == f"http://127.0.0.1:{port}"
            # And once stopped, the sandbox took its env file and its TLS directory with it
            assert not env_file.exists()
            assert not Path(runs[-1]["PINTEREST_AGENT_PREFLIGHT_CA_FILE"]).parent.exists()
    finally:
        _clean(redis_server)
    # And each run had a key prefix of its own (the second one published its own Pin, not the
    # first one's record)
    assert runs[0]["PINTEREST_AGENT_KEY_PREFIX"] != runs[1]["PINTEREST_AGENT_KEY_PREFIX"]
