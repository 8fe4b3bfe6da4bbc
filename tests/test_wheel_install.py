"""The wheel, installed the way an operator installs it: in a fresh virtual environment (no
system site-packages), its dependencies from the package index.

* Without extras it is a worker: ``pinterest-agent worker --help`` answers, the worker's module
  graph loads none of the console's, the sandbox's or the evals' dependencies (they are not even
  installed), and ``pinterest-agent console`` names the extra to install in one line.
* Beside OpenAI's Agents SDK (``openai-agents``, whose top-level package is ``agents``) both
  import in one process, and uninstalling either leaves the other whole.

Slow (two virtual environments' worth of installs, from pip's cache after the first run) and it
needs the package index, which CI and the development machines reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pinterest_agent.extras import EXTRAS
from pinterest_agent.queues.stores.secrets import SecretBox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SDK = "openai-agents"
OPTIONAL = sorted({module for modules in EXTRAS.values() for module in modules})

# The module graph of a worker process: what `dramatiq pinterest_agent.queues.entry.worker` imports
# (Dramatiq's CLI, the settings, the runtime, the broker and the actors), or with "cli" what
# `pinterest-agent worker` loads before it hands its process over to that.
MODULES_LOADED = """
import json, sys
if sys.argv[1] == "cli":
    import pinterest_agent.queues.entry.cli
else:
    import dramatiq.cli
    import pinterest_agent.queues.entry.worker
names = sys.argv[2:]
print(json.dumps(sorted(m for m in sys.modules
                        if any(m == n or m.startswith(n + ".") for n in names))))
"""


BOTH = """
import pathlib, sys
import agents  # the SDK's
import pinterest_agent.agents  # ours
from agents import Agent, Runner
from pinterest_agent.agents.writer import copy_problems
from pinterest_agent.queues.jobs.actors import declare_actors
site = pathlib.Path(agents.__file__).resolve().parents[1]
assert pathlib.Path(agents.__file__).resolve() == site / "agents" / "__init__.py", agents.__file__
ours = pathlib.Path(pinterest_agent.agents.__file__).resolve()
assert ours == site / "pinterest_agent" / "agents" / "__init__.py", ours
print("both", Agent.__name__, Runner.__name__, copy_problems.__name__, declare_actors.__name__)
"""

WHOLE = """
import importlib.metadata, sys
dist = importlib.metadata.distribution(sys.argv[1])
missing = [str(f) for f in dist.files or [] if not f.locate().exists()]
assert not missing, missing
print(len(dist.files or []), "files present")
"""


@dataclass
class Venv:
    path: Path
    cwd: Path  # outside the checkout: its top-level `agents` folder must not shadow the SDK's
    env: dict[str, str]

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def run(self, *argv: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(argv), cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=900, check=False)
        if ok:
            assert done.returncode == 0, f"{argv}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    def py(self, code: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-c", code, *args, ok=ok)

    def pip(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-m", "pip", *args)

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.path / "bin" / "pinterest-agent"), *args, ok=ok)


def _build_wheel(out: Path, scratch: Path) -> Path:
    """Build from a copy of what the wheel is made of (a stale ``build/`` in the checkout would
    otherwise leak deleted modules into it)."""
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "pinterest_agent", source / "pinterest_agent",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--quiet", "-w", str(out)], check=True, timeout=600, cwd=scratch)
    (wheel,) = out.glob("pinterest_agent_worker-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_wheel(tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A fresh virtual environment with only the wheel (and its dependencies) installed."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(home / "env")], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
           and not k.startswith("PINTEREST_AGENT_")}
    env["PATH"] = f"{home / 'env' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PINTEREST_AGENT_KEY_PREFIX"] = f"test-wheel-{uuid.uuid4().hex[:10]}"
    env["PINTEREST_AGENT_BROKER_NAMESPACE"] = f"{env['PINTEREST_AGENT_KEY_PREFIX']}-ns"
    env["PINTEREST_AGENT_SECRET_KEY"] = SecretBox.generate_key()
    made = Venv(home / "env", home, env)
    made.pip("install", "--quiet", str(wheel))
    yield made


def test_the_wheel_without_extras_is_a_worker(venv: Venv) -> None:
    # Given the wheel installed alone (this test runs before the SDK joins the environment)
    # Then none of the extras' modules is even installed
    found = json.loads(venv.py(
        "import importlib.util, json, sys; "
        "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m)]))",
        *OPTIONAL).stdout)
    assert found == []
    # And the worker command answers
    assert "Run the actors" in venv.cli("worker", "--help").stdout
    assert "worker" in venv.cli("--help").stdout
    # And a worker process loads none of them, nor the console's or the sandbox's code
    worker = venv.py(MODULES_LOADED, "worker", *OPTIONAL, "pinterest_agent.queues.console",
                     "pinterest_agent.providers.sandbox")
    assert json.loads(worker.stdout.strip().splitlines()[-1]) == []
    # And neither does the CLI that starts it
    cli = venv.py(MODULES_LOADED, "cli", *OPTIONAL)
    assert json.loads(cli.stdout.strip().splitlines()[-1]) == []
    # And the console names its extra in one line (exit 2: configuration)
    console = venv.cli("console", ok=False)
    assert console.returncode == 2
    assert console.stderr.strip().splitlines() == [
        "error: [missing_extra] the web console needs the console extra: "
        "pip install 'pinterest-agent-worker[console]' (starlette is not installed)"]


def test_the_wheel_and_the_openai_agents_sdk_live_side_by_side(venv: Venv, wheel: Path) -> None:
    # Given the SDK installed beside the wheel
    venv.pip("install", "--quiet", SDK)
    # Then both import in one process, each from its own folder
    assert venv.py(BOTH).stdout.startswith("both Agent Runner")
    assert "Run the actors" in venv.cli("worker", "--help").stdout
    assert "The Pinterest agent worker" in venv.cli("--help").stdout

    # When the SDK is uninstalled
    venv.pip("uninstall", "--yes", "--quiet", SDK)
    # Then our package is whole: every file it installed is there, it imports and answers
    venv.py(WHOLE, "pinterest-agent-worker")
    assert venv.py("import agents", ok=False).returncode != 0  # the SDK is gone
    venv.py("import pinterest_agent.agents, pinterest_agent.queues.jobs.actors")
    assert "Run the actors" in venv.cli("worker", "--help").stdout

    # When the SDK comes back and ours is uninstalled
    venv.pip("install", "--quiet", SDK)
    venv.pip("uninstall", "--yes", "--quiet", "pinterest-agent-worker")
    # Then the SDK's `agents` package is still whole and imports
    venv.py(WHOLE, SDK)
    sdk = venv.py("import agents, pathlib; from agents import Agent; "
                  "print(pathlib.Path(agents.__file__).resolve())")
    assert sdk.stdout.strip().endswith("site-packages/agents/__init__.py")
    assert venv.py("import pinterest_agent", ok=False).returncode != 0
    assert not (venv.path / "bin" / "pinterest-agent").exists()
