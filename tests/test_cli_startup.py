"""The CLI starts quickly: loading it and building any command's ``--help`` imports none of the
heavy libraries (the LLM client, Pillow, Dramatiq, httpx, pydantic, Redis); each command imports
what it runs in its body. A deterministic check (what is imported), not a timing: the times are
in the CLI reference (docs/cli.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pinterest_agent.agents.llm import local_server
from pinterest_agent.queues.entry import cli_model

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("openai", "PIL", "dramatiq", "httpx", "pydantic", "redis", "pika", "jinja2")

#: In a fresh interpreter: load the CLI, build the --help of every command and group, and say
#: which commands there were and which heavy modules got imported.
_PROBE = """
import json, sys
import click
from pinterest_agent.queues.entry.cli import main

names = []
def walk(command, ctx):
    names.append(ctx.command_path)
    command.get_help(ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            walk(sub, click.Context(sub, info_name=name, parent=ctx))

walk(main, click.Context(main, info_name="pinterest-agent"))
print(json.dumps({"commands": names,
                  "heavy": [m for m in %r if m in sys.modules]}))
"""


def _probe() -> dict[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True, timeout=60)
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_building_every_commands_help_imports_no_heavy_library() -> None:
    # When a fresh interpreter loads the CLI and builds the --help of every command
    probe = _probe()
    # Then it walked the whole tree
    assert {"pinterest-agent", "pinterest-agent sandbox", "pinterest-agent jobs wait",
            "pinterest-agent prompts eval", "pinterest-agent catalog sync",
            "pinterest-agent model serve", "pinterest-agent console"} <= set(probe["commands"])
    # And none of the heavy libraries was imported (the commands import them when they run)
    assert probe["heavy"] == []


def test_the_help_runs_as_a_command_without_them() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys\nfrom pinterest_agent.queues.entry.cli import main\n"
            "try:\n    main(['jobs', 'wait', '--help'])\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=60)
    assert "Usage: " in done.stdout and "--timeout" in done.stdout
    assert done.stderr.strip() == "[]"


def test_model_serves_defaults_are_the_local_servers() -> None:
    # (named in the CLI so that its --help does not import the LLM client)
    assert cli_model.DEFAULT_PORT == local_server.DEFAULT_PORT
    assert cli_model.DEFAULT_CONTEXT == local_server.DEFAULT_CONTEXT
