"""Gemma 3's chat format for llama.cpp's Python server, with the system message kept.

llama-cpp-python's own ``gemma`` format drops every ``system`` message ("not allowed on Google's
Gemma models"), so a model served with it never saw the templates' instructions (the writer's
rules, the category definitions): only the data in the user turn. Gemma 3's own chat template
puts the system text at the start of the first user turn; :func:`format_gemma3` does the same,
and ``python -m pinterest_agent.agents.llm.gemma_chat`` is llama.cpp's server with it registered
as :data:`CHAT_FORMAT` (``serve_local_model`` starts it so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CHAT_FORMAT", "format_gemma3", "gemma3_prompt", "main"]

CHAT_FORMAT = "gemma-3-with-system"
_TURN_END = "<end_of_turn>\n"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # content parts: the text ones (this model sees no images)
        return "\n".join(str(part.get("text", "")) for part in content
                         if isinstance(part, Mapping) and part.get("type") == "text")
    return ""


def gemma3_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """The prompt Gemma 3's chat template makes of *messages*: the system messages' text opens
    the first user turn, assistant turns are the model's, and the model's turn is left open."""
    system = "\n\n".join(_text(m.get("content")) for m in messages if m.get("role") == "system")
    turns: list[str] = []
    pending = system
    for message in messages:
        role = message.get("role")
        if role == "system":
            continue
        text = _text(message.get("content"))
        if role == "user" and pending:
            text, pending = f"{pending}\n\n{text}", ""
        turns.append(f"<start_of_turn>{'model' if role == 'assistant' else 'user'}\n"
                     f"{text}{_TURN_END}")
    if pending:  # only system messages: they are the user's turn
        turns.append(f"<start_of_turn>user\n{pending}{_TURN_END}")
    return "".join(turns) + "<start_of_turn>model\n"


def format_gemma3(messages: Sequence[Mapping[str, Any]], **_: Any) -> Any:
    """llama-cpp-python's chat formatter for :data:`CHAT_FORMAT`."""
    from llama_cpp.llama_chat_format import ChatFormatterResponse

    return ChatFormatterResponse(prompt=gemma3_prompt(messages), stop=_TURN_END)


def main() -> None:
    """llama.cpp's server (same arguments) with :data:`CHAT_FORMAT` registered."""
    from llama_cpp.llama_chat_format import register_chat_format
    from llama_cpp.server.__main__ import main as serve

    register_chat_format(CHAT_FORMAT)(format_gemma3)
    serve()  # type: ignore[no-untyped-call]  # llama_cpp.server.__main__.main is unannotated


if __name__ == "__main__":
    main()
