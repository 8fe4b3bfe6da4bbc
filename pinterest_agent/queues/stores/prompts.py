"""Published prompt versions, labels, rollouts and which version wrote each draft, in Redis.

Keys (``P`` is the ``key_prefix`` setting)::

    P:prompts:blob:{sha256}      str   a template's source, stored once by content
    P:prompts:version:{n}        hash  version n: templates (name -> sha256, JSON), set_sha256,
                                       note, author, created_at
    P:prompts:set:{sha256}       str   the version number of a template set (publishing the
                                       same set again gives the same version)
    P:prompts:counter            str   the last version number given
    P:prompts:routing            hash  label:{name} -> version, rollout:{template} -> JSON,
                                       serial (bumped by every change); workers read it whole,
                                       once per job
    P:prompts:history:{label}    list  versions the label pointed at before, newest first
    P:prompts:uses:{channel}     zset  post ids by when they were drafted
    P:prompts:use:{post_id}      str   PromptUse JSON (expires after the retention)

Every change to the routing hash is one Lua script (a label move with its history entry, a
rollback, a rollout), so a worker never reads a label without its serial, two concurrent moves
never lose a history entry, and a label only ever points at a version that exists.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis

from pinterest_agent.agents.prompting.errors import UnknownVersionError
from pinterest_agent.agents.prompting.usage import PromptUse
from pinterest_agent.agents.prompting.versions import (
    Rollout,
    Routing,
    TemplateVersion,
    check_label,
    set_digest,
    source_digest,
)
from pinterest_agent.errors import TransientError
from pinterest_agent.queues.lua import load_script

__all__ = ["DEFAULT_USAGE_RETENTION_DAYS", "RedisPromptUsage", "RedisPromptVersions"]

DEFAULT_USAGE_RETENTION_DAYS = 400
HISTORY_KEEP = 100

_LUA = "pinterest_agent.queues.stores"
_PUBLISH = load_script(_LUA, "prompts_publish")

_MOVE_LABEL = load_script(_LUA, "prompts_move_label")

_ROLLBACK = load_script(_LUA, "prompts_rollback")

_SET_ROLLOUT = load_script(_LUA, "prompts_set_rollout")

_END_ROLLOUT = load_script(_LUA, "prompts_end_rollout")


class RedisPromptVersions:
    """``agents.prompting.versions.VersionStore`` on Redis."""

    def __init__(self, client: redis.Redis[bytes], prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}:prompts"
        self._publish = client.register_script(_PUBLISH)
        self._move = client.register_script(_MOVE_LABEL)
        self._rollback = client.register_script(_ROLLBACK)
        self._set_rollout = client.register_script(_SET_ROLLOUT)
        self._end_rollout = client.register_script(_END_ROLLOUT)

    def _key(self, *parts: str | int) -> str:
        return ":".join((self._prefix, *(str(p) for p in parts)))

    # -- versions ----------------------------------------------------------------------------

    def publish(
        self, sources: Mapping[str, str], *, note: str, author: str, now: datetime,
        label: str | None = None,
    ) -> tuple[TemplateVersion, bool]:
        if label is not None:
            check_label(label)
        digests = {name: source_digest(text) for name, text in sorted(sources.items())}
        with self._client.pipeline(transaction=False) as pipe:
            for name, text in sources.items():
                pipe.set(self._key("blob", digests[name]), text.encode("utf-8"), nx=True)
            pipe.execute()
        set_sha = set_digest(sources)
        number, created = self._publish(
            keys=[self._key("set", set_sha), self._key("counter")],
            args=[self._key("version") + ":", set_sha, json.dumps(digests), note, author,
                  now.astimezone(UTC).isoformat()],
        )
        version = self.version(int(number))
        assert version is not None
        if label is not None:
            self.move_label(label, version.version)
        return version, bool(created)

    def version(self, number: int) -> TemplateVersion | None:
        raw = self._client.hgetall(self._key("version", number))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return TemplateVersion(
            version=int(fields["version"]), templates=json.loads(fields["templates"]),
            set_sha256=fields["set_sha256"], note=fields.get("note", ""),
            author=fields.get("author", ""),
            created_at=datetime.fromisoformat(fields["created_at"]),
        )

    def versions(self) -> list[TemplateVersion]:
        last = int(self._client.get(self._key("counter")) or 0)
        found = [self.version(n) for n in range(1, last + 1)]
        return [v for v in found if v is not None]

    def sources(self, number: int) -> dict[str, str]:
        version = self.version(number)
        if version is None:
            raise UnknownVersionError(
                f"prompt version {number} was never published; `pinterest-agent prompts "
                "versions` lists the published ones", version=number,
            )
        names = sorted(version.templates)
        blobs = self._client.mget([self._key("blob", version.templates[n]) for n in names])
        missing = [n for n, blob in zip(names, blobs, strict=True) if blob is None]
        if missing:
            raise UnknownVersionError(
                f"prompt version {number} lacks the stored source of {', '.join(missing)}; "
                "publish the templates again", version=number,
            )
        return {n: blob.decode("utf-8") for n, blob in zip(names, blobs, strict=True) if blob}

    # -- labels and rollouts -----------------------------------------------------------------

    def routing(self) -> Routing:
        try:
            raw = self._client.hgetall(self._key("routing"))
        except redis.RedisError as exc:
            raise TransientError(
                f"cannot read the prompt labels from Redis ({type(exc).__name__}); the job is "
                "retried, and a worker that read them before goes on with those",
                code="prompt_routing_unavailable",
            ) from exc
        labels: dict[str, int] = {}
        rollouts: dict[str, Rollout] = {}
        serial = 0
        for key, value in raw.items():
            name, text = key.decode(), value.decode()
            if name == "serial":
                serial = int(text)
            elif name.startswith("label:"):
                labels[name.removeprefix("label:")] = int(text)
            elif name.startswith("rollout:"):
                rollout = Rollout.model_validate_json(text)
                rollouts[rollout.template] = rollout
        return Routing(labels=labels, rollouts=rollouts, serial=serial)

    def move_label(self, label: str, number: int) -> int | None:
        check_label(label)
        previous = int(self._move(
            keys=[self._key("routing"), self._key("history", label), self._key("version", number)],
            args=[f"label:{label}", number, HISTORY_KEEP, label],
        ))
        if previous < 0:
            raise UnknownVersionError(
                f"prompt version {number} was never published; `pinterest-agent prompts "
                "versions` lists the published ones", version=number,
            )
        return previous or None

    def rollback(self, label: str) -> tuple[int, int | None]:
        check_label(label)
        answer = self._rollback(keys=[self._key("routing"), self._key("history", label)],
                                args=[f"label:{label}"])
        if int(answer[0]) < 0:
            raise UnknownVersionError(
                f"the label {label!r} points at no version, so there is nothing to roll back",
                label=label,
            )
        return int(answer[0]), int(answer[1]) or None

    def label_history(self, label: str) -> list[int]:
        return [int(v) for v in self._client.lrange(self._key("history", label), 0, -1)]

    def set_rollout(self, rollout: Rollout) -> None:
        check_label(rollout.label)
        done = self._set_rollout(
            keys=[self._key("routing"), self._key("version", rollout.candidate)],
            args=[f"rollout:{rollout.template}", rollout.model_dump_json()],
        )
        if not done:
            raise UnknownVersionError(
                f"prompt version {rollout.candidate} was never published; publish the candidate "
                "first (pinterest-agent prompts publish DIR)", version=rollout.candidate,
            )

    def end_rollout(self, template: str) -> Rollout | None:
        raw = self._end_rollout(keys=[self._key("routing")], args=[f"rollout:{template}"])
        return Rollout.model_validate_json(raw) if raw is not None else None


class RedisPromptUsage:
    """``agents.prompting.usage.UsageLog`` on Redis (see the module docstring)."""

    def __init__(
        self, client: redis.Redis[bytes], prefix: str, *,
        retention_days: int = DEFAULT_USAGE_RETENTION_DAYS,
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:prompts"
        self._retention_s = retention_days * 86400

    def record(self, use: PromptUse) -> None:
        at = use.drafted_at.timestamp()
        index = f"{self._prefix}:uses:{use.channel_id}"
        with self._client.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._prefix}:use:{use.post_id}", use.model_dump_json(),
                     ex=self._retention_s)
            pipe.zadd(index, {use.post_id: at})
            pipe.zremrangebyscore(index, "-inf", time.time() - self._retention_s)
            pipe.execute()

    def uses(self, channel_id: str, *, since: datetime, until: datetime) -> list[PromptUse]:
        ids = self._client.zrangebyscore(f"{self._prefix}:uses:{channel_id}",
                                         since.timestamp(), until.timestamp())
        return self._load(ids)

    def recent_titles(self, channel_id: str, *, limit: int = 50) -> list[str]:
        ids = self._client.zrevrange(f"{self._prefix}:uses:{channel_id}", 0, limit - 1)
        return [use.title for use in self._load(ids) if use.title]

    def _load(self, ids: list[Any]) -> list[PromptUse]:
        if not ids:
            return []
        raw = self._client.mget([f"{self._prefix}:use:{i.decode()}" for i in ids])
        return [PromptUse.model_validate_json(r) for r in raw if r is not None]
