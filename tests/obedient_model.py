"""A fake model that follows the writer's and designer's rules, for end-to-end tests about
something else (a catalog sync, an insight's next Pin, ...).

The sandbox's stand-in knows none of the rules (it titles a Pin with the brief's name), so a
brief whose name lacks its main keyword, or is over 40 characters, fails there with
``llm_output_invalid``, as it would with any model that ignores its instructions. A test whose
subject is not the copy swaps this fake in at the ``openai`` client's transport: the stand-in's
answer, with the main keyword put first in the title, the title and headline cut at a word to
their limits and the link set to the brief's destination. It knows the rules, so it must never
stand in for a model in a test of the writer's or designer's checks (tests/test_writer.py,
tests/test_defences_bite.py use the stand-in or scripted answers for that).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai

from pinterest_agent.agents.llm import make_openai_client
from pinterest_agent.agents.text_rules import keyword_position
from pinterest_agent.providers.sandbox.openai_compat import chat_completion, tagged_json
from pinterest_agent.queues.runtime import Runtime

BASE_URL = "http://obedient.invalid/v1"


def _cut(text: str, limit: int) -> str:
    words: list[str] = []
    for word in text.split():
        if len(" ".join([*words, word])) > limit:
            break
        words.append(word)
    return " ".join(words).rstrip(" :,;-") or text[:limit]


def _obey(schema: str, answer: dict[str, Any], brief: dict[str, Any]) -> dict[str, Any]:
    if schema == "PinCopy":
        title = str(answer["title"])
        keyword = next(iter(brief.get("keywords") or []), None)
        position = keyword_position(keyword, title) if keyword is not None else 0
        if position is None or position > 40:
            title = f"{keyword[:1].upper()}{keyword[1:]}: {title}"
        answer.update(title=_cut(title, 100), link=brief.get("destination_url", answer["link"]))
    elif schema == "DesignSpec":
        answer["headline"] = _cut(str(answer["headline"]), 40)
    return answer


def _handle(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    completion = chat_completion(body)
    schema = str(((body.get("response_format") or {}).get("json_schema") or {}).get("name", ""))
    brief = tagged_json(body["messages"], "brief")
    message = completion["choices"][0]["message"]
    if isinstance(brief, dict) and message["content"]:
        message["content"] = json.dumps(_obey(schema, json.loads(message["content"]), brief))
    return httpx.Response(200, json=completion)


def obedient_client() -> openai.OpenAI:
    """An ``openai`` client whose every answer comes from the obedient fake, in process."""
    return make_openai_client(api_key="obedient", base_url=BASE_URL, max_retries=0,
                              transport=httpx.MockTransport(_handle))


def use_obedient_model(runtime: Runtime) -> None:
    """Make ``runtime`` (and the workers started on it) write with the obedient fake."""
    runtime.__dict__["openai_client"] = obedient_client()  # before the first cached use
