"""What ``pinterest-agent jobs wait`` is waiting on, in words.

A post made from a brief has the brief's id: while nothing is recorded for the post, its brief's
outcome says where the job is (retrying after a failure to reach a page, drafted and handed on,
failed for good). :func:`waiting_on` reads both and says it in one line, :func:`brief_failed`
tells when the post will never come.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["brief_failed", "describe", "waiting_on"]


def describe(kind: str, subject_id: str, outcome: Mapping[str, Any] | None) -> str:
    """One outcome in words: ``brief 'x' is retrying (retry 2 on pinterest-writer) after
    [link_unreachable] ...``; ``post 'x' has nothing recorded``."""
    if outcome is None:
        return f"{kind} {subject_id!r} has nothing recorded"
    status = str(outcome.get("status", "unknown"))
    text = f"{kind} {subject_id!r} is {status}"
    if status == "retrying":
        where = [f"retry {outcome['retries']}" if "retries" in outcome else "",
                 f"on {outcome['queue']}" if outcome.get("queue") else ""]
        if any(where):
            text += f" ({' '.join(part for part in where if part)})"
    elif status == "scheduled" and outcome.get("scheduled_at"):
        text += f" for {outcome['scheduled_at']}"
    error = outcome.get("error")
    if isinstance(error, Mapping) and error.get("message"):
        text += f" after [{error.get('code', 'error')}] {str(error['message'])[:300]}"
    return text


def waiting_on(kind: str, subject_id: str, outcome: Mapping[str, Any] | None,
               brief: Mapping[str, Any] | None) -> str:
    """Where a job without a final outcome is: the post's own record, else its brief's, else
    that nothing has picked it up (is a worker running?)."""
    if outcome is not None:
        return describe(kind, subject_id, outcome)
    if kind == "post" and brief is not None:
        return (f"nothing recorded for the post yet; its brief: "
                f"{describe('brief', subject_id, brief)}")
    return (f"nothing recorded for {kind} {subject_id!r} (is a worker running? "
            "`pinterest-agent worker`)")


def brief_failed(kind: str, outcome: Mapping[str, Any] | None,
                 brief: Mapping[str, Any] | None) -> bool:
    """A post with nothing recorded whose brief failed for good: it will never come."""
    return (kind == "post" and outcome is None and brief is not None
            and brief.get("status") == "failed")
