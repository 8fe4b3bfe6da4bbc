"""`ruff check .` lints the package once: its files, not the top-level symlinks to them.

The symlinks' names (agents, prompts, providers, queues) are also folder names inside the package,
and an unanchored exclude (``"agents"``) matched those too: for a round the whole package went
unlinted while `ruff check .` passed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_lints_the_package_and_skips_the_symlinks() -> None:
    listed = subprocess.run([sys.executable, "-m", "ruff", "check", "--show-files", "."],
                            cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.splitlines()
    files = {Path(line).resolve().relative_to(ROOT).as_posix() for line in listed
             if line.endswith(".py")}
    for module in ("pinterest_agent/agents/writer.py", "pinterest_agent/queues/settings.py",
                   "pinterest_agent/providers/pinterest/client.py",
                   "pinterest_agent/prompts/loader.py"):
        assert module in files, module
    linted_twice = [line for line in listed if line.startswith(str(ROOT / "agents") + "/")]
    assert linted_twice == []
