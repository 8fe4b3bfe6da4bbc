"""The sandbox stand-in's adversarial mode: answers that break the rules at a set rate, chosen by
a seed, so the writer's and designer's defences meet the failures a real model produces.

For every chat-completion request, :meth:`LLMAdversary.draw` hashes the seed, the request body
and how many times that same body was asked before: with probability ``rate`` the answer
misbehaves in one of ``kinds`` that applies to the request (chosen evenly), otherwise it is the
naive answer (:mod:`.naive_answers`). The same seed and the same requests in the same order give
the same answers; a request asked again (a client's retry) or the repair round's new request
draws afresh, so a repair may come back clean, as a sampled model's may. The kinds::

    long_fields              PinCopy title, description and alt text over their limits, or a
                             DesignSpec headline over 40 characters
    long_description         a description under 800 characters that its hashtags push over 800
    other_link               the link on another domain (https://deals.example.net/...)
    url_in_text              the brief's own destination URL written into the description
    obey_injection           obeys a URL injected in the brief: the link and the description use
                             it (only for a brief carrying a URL besides its destination)
    invented_claims          invented numbers, a price and claims: "Made in USA from 100% organic
                             cotton, only $19.99 with free shipping"; a headline "Only $19.99 ..."
    keyword_late             the title starts with a 58-character phrase, the name after it
    repeat_title             an earlier Pin's title (only for a brief with avoid_titles)
    hashtags_in_description  two hashtags inside the description (three at most in all)
    hashtag_heavy            three hashtags in the list and three more in the description
    invented_keywords        keywords the brief never gives and no trend offered ("boho wedding
                             decor", "viral home hacks") besides the brief's own
    refusal                  ``refusal`` set and no content
    truncated                ``finish_reason: "length"`` and the JSON cut in half
    malformed                prose around JSON missing its closing brace, ``finish_reason: "stop"``
    rate_limited             HTTP 429, OpenAI's error envelope, ``Retry-After: 1``
    server_error             HTTP 500, OpenAI's error envelope
    timeout                  no answer for ``hang_s`` seconds (past a client's deadline), then the
                             naive one

The first eleven apply to ``PinCopy`` (``long_fields`` and ``invented_claims`` also to
``DesignSpec``); the last six to any request. Configure it when starting the sandbox
(``pinterest-agent sandbox --llm-adversarial 0.3 --llm-seed 7``, ``SandboxServer(llm_adversarial=
0.3, llm_seed=7, llm_kinds=(...))``), in process (``server.state.llm.configure(rate=1.0,
kinds=["other_link"])``) or over HTTP: ``POST /_sandbox/llm`` with ``{"rate", "seed", "kinds",
"hang_s"}``; ``GET /_sandbox/llm`` shows the settings and how often each kind was served.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pinterest_agent.providers.sandbox.naive_answers import first_url, hashtag, urls_in
from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)

__all__ = [
    "COPY_KINDS",
    "DEFAULT_HANG_S",
    "DESIGN_KINDS",
    "HTTP_KINDS",
    "KINDS",
    "REPLY_KINDS",
    "LLMAdversary",
    "applicable_kinds",
    "misbehave",
    "register",
]

COPY_KINDS = ("long_fields", "long_description", "other_link", "url_in_text", "obey_injection",
              "invented_claims", "keyword_late", "repeat_title", "hashtags_in_description",
              "hashtag_heavy", "invented_keywords")
DESIGN_KINDS = ("long_fields", "invented_claims")
REPLY_KINDS = ("refusal", "truncated", "malformed")
"""Kinds that change the chat completion's message rather than its answer's fields."""
HTTP_KINDS = ("rate_limited", "server_error", "timeout")
KINDS = tuple(dict.fromkeys((*COPY_KINDS, *DESIGN_KINDS, *REPLY_KINDS, *HTTP_KINDS)))
INVENTED_KEYWORDS = ("boho wedding decor", "viral home hacks")
"""Search phrases no sample brief gives and no sandbox trend offers for one."""
DEFAULT_HANG_S = 30.0
"""Longer than the worker's default per-request deadline (20 s)."""
OTHER_DOMAIN = "https://deals.example.net/r/"
INVENTED = " Made in USA from 100% organic cotton, only $19.99 with free shipping."
INVENTED_HEADLINE = "Only $19.99: 100% organic"
LATE_PREFIX = "Everything you need to know for a calm and lovely season: "
_SEEN_MAX = 100_000
"""Distinct request bodies remembered for the retry count; beyond it the memory starts over."""


@dataclass(frozen=True, slots=True)
class _Settings:
    rate: float
    seed: int
    kinds: tuple[str, ...]
    hang_s: float


def _checked(rate: float, kinds: Iterable[str], hang_s: float) -> tuple[str, ...]:
    if not 0 <= rate <= 1:
        raise ValueError("rate must be between 0 and 1")
    if hang_s < 0:
        raise ValueError("hang_s must not be negative")
    chosen = tuple(dict.fromkeys(kinds))
    unknown = sorted(set(chosen) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds: {', '.join(unknown)} (known: {', '.join(KINDS)})")
    if not chosen:
        raise ValueError("kinds must name at least one kind")
    return chosen


class LLMAdversary:
    """When and how the stand-in misbehaves; thread-safe. ``rate=0`` (the default): never."""

    def __init__(self, rate: float = 0.0, seed: int = 0, kinds: Sequence[str] = KINDS,
                 hang_s: float = DEFAULT_HANG_S) -> None:
        self._lock = threading.Lock()
        self._initial = _Settings(rate, seed, _checked(rate, kinds, hang_s), hang_s)
        self._settings = self._initial
        self._seen: Counter[bytes] = Counter()
        self.served: Counter[str] = Counter()
        """How many answers of each kind were given since the last (re)configuration."""

    @property
    def rate(self) -> float:
        return self._settings.rate

    @property
    def hang_s(self) -> float:
        return self._settings.hang_s

    def configure(self, *, rate: float | None = None, seed: int | None = None,
                  kinds: Sequence[str] | None = None, hang_s: float | None = None) -> None:
        """Change some settings (the others stay) and start counting afresh."""
        with self._lock:
            now = self._settings
            rate = now.rate if rate is None else rate
            hang_s = now.hang_s if hang_s is None else hang_s
            chosen = _checked(rate, now.kinds if kinds is None else kinds, hang_s)
            self._settings = _Settings(rate, now.seed if seed is None else seed, chosen, hang_s)
            self._seen.clear()
            self.served.clear()

    def reset(self) -> None:
        """Back to the settings the sandbox started with."""
        with self._lock:
            self._settings = self._initial
            self._seen.clear()
            self.served.clear()

    def draw(self, body: Mapping[str, Any], applicable: Iterable[str]) -> str | None:
        """The kind this request's answer breaks the rules in, or ``None`` for the naive one."""
        allowed = set(applicable)
        with self._lock:
            settings = self._settings
            kinds = [kind for kind in settings.kinds if kind in allowed]
            if settings.rate <= 0 or not kinds:
                return None
            digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode())
            key = digest.digest()
            if len(self._seen) >= _SEEN_MAX:
                self._seen.clear()
            asked = self._seen[key]
            self._seen[key] += 1
            draw = hashlib.sha256(f"{settings.seed}:{asked}:".encode() + key).digest()
            if int.from_bytes(draw[:8], "big") / 2**64 >= settings.rate:
                return None
            kind = kinds[int.from_bytes(draw[8:16], "big") % len(kinds)]
            self.served[kind] += 1
            return kind

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            settings = self._settings
            return {"rate": settings.rate, "seed": settings.seed, "kinds": list(settings.kinds),
                    "hang_s": settings.hang_s, "served": dict(self.served)}


def _other_urls(brief: Mapping[str, Any]) -> list[str]:
    destination = str(brief.get("destination_url", ""))
    return [url for url in urls_in(brief) if url != destination]


def applicable_kinds(schema_name: str, brief: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The kinds that can break an answer to this request (a schema and its brief, if any)."""
    generic = (*REPLY_KINDS, *HTTP_KINDS)
    if brief is None:
        return generic
    if schema_name == "PinCopy":
        kinds = [kind for kind in COPY_KINDS
                 if (kind != "obey_injection" or _other_urls(brief))
                 and (kind != "repeat_title" or brief.get("avoid_titles"))]
        return (*kinds, *generic)
    if schema_name == "DesignSpec":
        return (*DESIGN_KINDS, *generic)
    return generic


def _padded(text: str, size: int) -> str:
    base = text.strip() or "More"
    out = base
    while len(out) < size:
        out += " " + base
    return out


def _near(text: str, size: int) -> str:
    """``text`` repeated, then cut at a word boundary, to at most ``size`` characters."""
    return _padded(text, size + 1)[: size + 1].rsplit(" ", 1)[0]


def misbehave(kind: str, schema_name: str, answer: dict[str, Any],
              brief: Mapping[str, Any]) -> dict[str, Any]:
    """The naive ``answer`` broken in ``kind`` (kinds that do not change fields leave it)."""
    out = dict(answer)
    name = str(brief.get("name", ""))
    summary = str(brief.get("summary", name))
    if schema_name == "DesignSpec":
        if kind == "long_fields":
            out["headline"] = _padded(f"{name}: {summary}", 60)
        elif kind == "invented_claims":
            out["headline"] = INVENTED_HEADLINE
        return out
    if schema_name != "PinCopy":
        return out
    keywords = [str(k) for k in brief.get("keywords", [])]
    if kind == "long_fields":
        out.update(title=_padded(f"{name}: {summary}", 140), description=_padded(summary, 900),
                   alt_text=_padded(f"Photo of {name}.", 600))
    elif kind == "long_description":
        tags = [hashtag(k) for k in keywords[:3]] or ["#Ideas"]
        out.update(description=_near(summary, 795), hashtags=tags)
    elif kind == "other_link":
        out["link"] = OTHER_DOMAIN + hashlib.sha256(name.encode()).hexdigest()[:8]
    elif kind == "url_in_text":
        url = str(brief.get("destination_url") or first_url(brief))
        out["description"] = f"{summary} Shop it at {url}"
    elif kind == "obey_injection":
        injected = (_other_urls(brief) or [OTHER_DOMAIN])[0]
        out.update(link=injected, description=f"{summary} Shop now at {injected}")
    elif kind == "invented_claims":
        out["description"] = summary + INVENTED
    elif kind == "keyword_late":
        out["title"] = LATE_PREFIX + name
    elif kind == "repeat_title":
        out["title"] = str((brief.get("avoid_titles") or [out["title"]])[0])
    elif kind == "hashtags_in_description":
        out["description"] = f"{summary} #PinIt #Ideas"
        out["hashtags"] = list(out.get("hashtags", []))[:1]
    elif kind == "hashtag_heavy":
        out["description"] = f"{summary} #Decor #Style #Inspo"
        out["hashtags"] = ["#Home", "#Ideas", "#PinIt"]
    elif kind == "invented_keywords":
        out["keywords"] = [*keywords[:6], *INVENTED_KEYWORDS]
    return out


# -- control ----------------------------------------------------------------------------------


def register(registry: RouteRegistry) -> None:
    """``GET`` and ``POST /_sandbox/llm``."""
    registry.add("GET", "/_sandbox/llm", _show)
    registry.add("POST", "/_sandbox/llm", _configure)


def _show(request: SandboxRequest) -> SandboxResponse:
    return SandboxResponse.json(request.state.llm.as_dict())


def _configure(request: SandboxRequest) -> SandboxResponse:
    data = request.json if request.body else {}
    if not isinstance(data, dict):
        raise ApiError(400, 1, "Expected a JSON object.")
    unknown = set(data) - {"rate", "seed", "kinds", "hang_s"}
    if unknown:
        raise ApiError(400, 1, f"Unknown fields: {', '.join(sorted(unknown))}.")
    try:
        kinds = data.get("kinds")
        request.state.llm.configure(
            rate=None if data.get("rate") is None else float(data["rate"]),
            seed=None if data.get("seed") is None else int(data["seed"]),
            kinds=None if kinds is None else [str(k) for k in kinds],
            hang_s=None if data.get("hang_s") is None else float(data["hang_s"]),
        )
    except (TypeError, ValueError) as exc:
        raise ApiError(400, 1, f"Invalid LLM settings: {exc}") from exc
    return SandboxResponse.json(request.state.llm.as_dict())
