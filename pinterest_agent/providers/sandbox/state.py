"""The sandbox's in-memory world: users, OAuth codes and tokens, boards, sections, pins, media.

One :class:`SandboxState` per server, shared by its handler threads; every read or write of the
records happens under ``state.lock`` (an ``RLock``, so helpers may nest). Ids are numeric strings,
as Pinterest's are. Lists come back in Pinterest's orders: boards oldest first, pins newest first.

Test helpers: :meth:`SandboxState.seed_account` (a user, a "Sandbox board" and tokens),
:meth:`~SandboxState.expire_access_tokens`, :meth:`~SandboxState.request_count`,
:meth:`~SandboxState.pins_on_board` and :meth:`~SandboxState.reset`. Route modules of other
engineers may keep their own records in ``state.plugin_data`` (cleared by ``reset``).
"""

from __future__ import annotations

import base64
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pinterest_agent.providers.sandbox.adversary import KINDS, LLMAdversary
from pinterest_agent.providers.sandbox.faults import FaultRegistry
from pinterest_agent.providers.sandbox.routes import ApiError

__all__ = [
    "DEFAULT_ACCESS_TOKEN_TTL_S",
    "DEFAULT_APP_ID",
    "DEFAULT_APP_SECRET",
    "DEFAULT_REFRESH_TOKEN_TTL_S",
    "DEFAULT_SCOPE",
    "AuthCode",
    "Board",
    "Media",
    "Pin",
    "SandboxState",
    "Section",
    "SeedResult",
    "Token",
    "User",
]

DEFAULT_APP_ID = "sandbox-app"
DEFAULT_APP_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's well-known test credential
DEFAULT_ACCESS_TOKEN_TTL_S = 30 * 24 * 3600
DEFAULT_REFRESH_TOKEN_TTL_S = 60 * 24 * 3600
DEFAULT_CODE_TTL_S = 600
DEFAULT_MEDIA_POLLS = 2
DEFAULT_SCOPE = ",".join([
    "boards:read", "boards:read_secret", "boards:write", "boards:write_secret",
    "pins:read", "pins:read_secret", "pins:write", "pins:write_secret",
    "user_accounts:read",
])
AUTH_FAILED = (401, 2, "Authentication failed.")

T = TypeVar("T")


@dataclass
class User:
    id: str
    username: str
    seq: int


@dataclass
class Token:
    value: str
    kind: str  # "access" | "refresh"
    user_id: str
    scope: str
    expires_at: float


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    expires_at: float


@dataclass
class Board:
    id: str
    owner_id: str
    name: str
    description: str | None
    privacy: str
    created_at: float
    seq: int
    modified_at: float = 0.0
    follower_count: int = 0


@dataclass
class Section:
    id: str
    board_id: str
    name: str
    seq: int


@dataclass
class Pin:
    id: str
    owner_id: str
    board_id: str
    created_at: float
    seq: int
    fields: dict[str, Any]
    media: dict[str, Any]
    creative_type: str


@dataclass
class Media:
    id: str
    owner_id: str
    media_type: str
    status: str  # registered | processing | succeeded | failed
    upload_key: str
    seq: int
    polls_left: int = 0
    size: int = 0
    sha256: str = ""
    """Of the uploaded file (the sandbox keeps the hash, not the bytes)."""


@dataclass(frozen=True)
class SeedResult:
    """What :meth:`SandboxState.seed_account` made: use ``access_token`` as a Bearer token."""

    user_id: str
    username: str
    access_token: str
    refresh_token: str
    board_id: str


@dataclass
class _Records:
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    pins: dict[str, Pin] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)


class SandboxState:
    """Everything the sandbox remembers; thread-safe through ``lock``."""

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        seed: int = 0,
        access_token_ttl_s: int = DEFAULT_ACCESS_TOKEN_TTL_S,
        refresh_token_ttl_s: int = DEFAULT_REFRESH_TOKEN_TTL_S,
        code_ttl_s: int = DEFAULT_CODE_TTL_S,
        media_polls: int = DEFAULT_MEDIA_POLLS,
        latency_ms: int = 0,
        listing_lag_ms: int = 0,
        enforce_scopes: bool = True,
        clock: Callable[[], float] = time.time,
        llm_adversarial: float = 0.0,
        llm_seed: int = 0,
        llm_kinds: Sequence[str] = KINDS,
    ) -> None:
        self.lock = threading.RLock()
        self.app_id = app_id
        self.app_secret = app_secret
        self.seed = seed
        self.access_token_ttl_s = access_token_ttl_s
        self.refresh_token_ttl_s = refresh_token_ttl_s
        self.code_ttl_s = code_ttl_s
        self.media_polls = media_polls
        self.latency_ms = latency_ms
        self.listing_lag_ms = listing_lag_ms
        """Pin listings leave out Pins created less than this long ago, as Pinterest's
        eventually consistent listings do (a created Pin is there to GET at once)."""
        self.enforce_scopes = enforce_scopes
        self.clock = clock
        self.faults = FaultRegistry()
        self.llm = LLMAdversary(llm_adversarial, llm_seed, llm_kinds)
        """The stand-in model's adversarial mode (``providers.sandbox.adversary``); off at 0."""
        self.stopping = threading.Event()
        self.plugin_data: dict[str, Any] = {}
        self._tunables = {"media_polls": media_polls, "latency_ms": latency_ms,
                          "listing_lag_ms": listing_lag_ms,
                          "enforce_scopes": enforce_scopes}
        self._reset_records()

    def _reset_records(self) -> None:
        self.records = _Records()
        self._random = random.Random(self.seed)
        self._ids = itertools.count(10_000_000_000_000 + self.seed * 1_000_000)
        self._seq = itertools.count(1)
        self._counts: Counter[tuple[str, str]] = Counter()
        self._path_counts: Counter[tuple[str, str]] = Counter()
        self.plugin_data.clear()

    def reset(self) -> None:
        """Forget every record, count and fault, and put the knobs tests turn (media polls,
        latency, scope enforcement, the stand-in model's adversarial mode) back to how the
        server was started; TTLs stay."""
        with self.lock:
            self._reset_records()
            self.faults.clear()
            self.llm.reset()
            for name, value in self._tunables.items():
                setattr(self, name, value)

    # -- ids, tokens, counters -------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh numeric string id."""
        with self.lock:
            return str(next(self._ids))

    def next_seq(self) -> int:
        """A monotonically increasing number that orders records by creation."""
        with self.lock:
            return next(self._seq)

    def random_token(self, prefix: str, nbytes: int = 24) -> str:
        """A random, URL-safe secret (reproducible for a given ``seed``)."""
        with self.lock:
            raw = self._random.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
        return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def record_request(self, method: str, template: str, path: str) -> None:
        """Count one request under its route template and its concrete path."""
        with self.lock:
            self._counts[(method, template)] += 1
            if path != template:
                self._path_counts[(method, path)] += 1

    def request_count(self, method: str, path: str) -> int:
        """How many ``method`` requests hit ``path`` (a route template or a concrete path)."""
        with self.lock:
            key = (method.upper(), path)
            return self._counts[key] or self._path_counts[key]

    def stats(self) -> dict[str, Any]:
        """Counts of records and requests (``GET /_sandbox/stats``)."""
        with self.lock:
            records = self.records
            return {
                "users": len(records.users), "boards": len(records.boards),
                "sections": len(records.sections), "pins": len(records.pins),
                "media": len(records.media), "tokens": len(records.tokens),
                "faults": len(self.faults),
                "requests": {f"{m} {p}": n for (m, p), n in sorted(self._counts.items())},
            }

    # -- users and tokens ------------------------------------------------------------------

    def create_user(self, username: str) -> User:
        """A new user (usernames are unique)."""
        with self.lock:
            if self.user_by_name(username) is not None:
                raise ValueError(f"username {username!r} already exists")
            user = User(self.new_id(), username, self.next_seq())
            self.records.users[user.id] = user
            return user

    def user_by_name(self, username: str) -> User | None:
        """The user called ``username``, if any."""
        with self.lock:
            return next((u for u in self.records.users.values() if u.username == username), None)

    def default_user(self) -> User:
        """The user the OAuth page approves as: the first one, created on demand."""
        with self.lock:
            if self.records.users:
                return min(self.records.users.values(), key=lambda user: user.seq)
            user = self.create_user("sandbox_user")
            self.create_board(user.id, "Sandbox board")
            return user

    def issue_token(self, kind: str, user_id: str, scope: str, ttl_s: int) -> Token:
        """Store and return a new access (``pina_``) or refresh (``pinr_``) token."""
        prefix = "pina_" if kind == "access" else "pinr_"
        token = Token(self.random_token(prefix), kind, user_id, scope, self.clock() + ttl_s)
        with self.lock:
            self.records.tokens[token.value] = token
        return token

    def authenticate(self, bearer: str | None) -> User:
        """The user of a valid, unexpired access token; ``ApiError(401, 2)`` otherwise."""
        with self.lock:
            token = self.records.tokens.get(bearer or "")
            if token is None or token.kind != "access" or token.expires_at <= self.clock():
                raise ApiError(*AUTH_FAILED)
            return self.records.users[token.user_id]

    def token_scope(self, bearer: str) -> str:
        """The scope string of a (valid) token."""
        with self.lock:
            return self.records.tokens[bearer].scope

    def expire_access_tokens(self) -> int:
        """Make every access token expired; returns how many there were."""
        with self.lock:
            access = [t for t in self.records.tokens.values() if t.kind == "access"]
            for token in access:
                token.expires_at = self.clock() - 1
            return len(access)

    def create_code(self, client_id: str, redirect_uri: str, scope: str, user_id: str) -> str:
        """A single-use authorization code."""
        code = AuthCode(self.random_token("", 16), client_id, redirect_uri, scope, user_id,
                        self.clock() + self.code_ttl_s)
        with self.lock:
            self.records.codes[code.code] = code
        return code.code

    def redeem_code(self, code: str, redirect_uri: str) -> AuthCode:
        """Consume a code; 400 when unknown, used, expired or its redirect_uri differs."""
        with self.lock:
            found = self.records.codes.pop(code, None)
        if found is None or found.expires_at <= self.clock():
            raise ApiError(400, 1, "Invalid authorization code.")
        if found.redirect_uri != redirect_uri:
            raise ApiError(400, 1, "redirect_uri does not match the authorization request.")
        return found

    def rotate_refresh(self, refresh_token: str) -> Token:
        """Invalidate a refresh token and return it (400 when unknown, used or expired)."""
        with self.lock:
            token = self.records.tokens.get(refresh_token)
            if token is None or token.kind != "refresh" or token.expires_at <= self.clock():
                raise ApiError(400, 1, "Invalid refresh token.")
            del self.records.tokens[refresh_token]
            return token

    def seed_account(
        self,
        username: str = "sandbox_user",
        *,
        board_name: str = "Sandbox board",
        scope: str = DEFAULT_SCOPE,
        expired_access_token: bool = False,
    ) -> SeedResult:
        """A user (reused when the name exists) with one board and fresh tokens."""
        with self.lock:
            user = self.user_by_name(username) or self.create_user(username)
            board = next(iter(self.boards_of(user.id)), None)
            if board is None:
                board = self.create_board(user.id, board_name)
            ttl = -1 if expired_access_token else self.access_token_ttl_s
            access = self.issue_token("access", user.id, scope, ttl)
            refresh = self.issue_token("refresh", user.id, scope, self.refresh_token_ttl_s)
            return SeedResult(user.id, user.username, access.value, refresh.value, board.id)

    # -- boards and sections ---------------------------------------------------------------

    def create_board(
        self, owner_id: str, name: str, *, description: str | None = None, privacy: str = "PUBLIC"
    ) -> Board:
        """A new board owned by ``owner_id``."""
        with self.lock:
            now = self.clock()
            board = Board(self.new_id(), owner_id, name, description, privacy, now,
                          self.next_seq(), now)
            self.records.boards[board.id] = board
            return board

    def boards_of(self, user_id: str) -> list[Board]:
        """The user's boards, oldest first."""
        with self.lock:
            boards = [b for b in self.records.boards.values() if b.owner_id == user_id]
        return sorted(boards, key=lambda board: board.seq)

    def board_for(self, user_id: str, board_id: str) -> Board:
        """A board the user owns; 404 code 40 when it does not exist or is someone else's."""
        with self.lock:
            board = self.records.boards.get(board_id)
        if board is None or board.owner_id != user_id:
            raise ApiError(404, 40, "Board not found.")
        return board

    def delete_board(self, board: Board) -> None:
        """Delete a board with its sections and pins."""
        with self.lock:
            del self.records.boards[board.id]
            records = self.records
            records.sections = {k: s for k, s in records.sections.items() if s.board_id != board.id}
            records.pins = {k: p for k, p in records.pins.items() if p.board_id != board.id}

    def create_section(self, board_id: str, name: str) -> Section:
        """A new section on a board."""
        with self.lock:
            section = Section(self.new_id(), board_id, name, self.next_seq())
            self.records.sections[section.id] = section
            return section

    def sections_of(self, board_id: str) -> list[Section]:
        """A board's sections, oldest first."""
        with self.lock:
            sections = [s for s in self.records.sections.values() if s.board_id == board_id]
        return sorted(sections, key=lambda section: section.seq)

    # -- pins --------------------------------------------------------------------------------

    def add_pin(self, owner_id: str, board_id: str, fields: dict[str, Any],
                media: dict[str, Any], creative_type: str) -> Pin:
        """Store a new pin (the handler has checked the board and media)."""
        with self.lock:
            now = self.clock()
            pin = Pin(self.new_id(), owner_id, board_id, now, self.next_seq(), fields, media,
                      creative_type)
            self.records.pins[pin.id] = pin
            self.records.boards[board_id].modified_at = now
            return pin

    def pin_for(self, user_id: str, pin_id: str) -> Pin:
        """A pin the user owns; 404 code 50 otherwise."""
        with self.lock:
            pin = self.records.pins.get(pin_id)
        if pin is None or pin.owner_id != user_id:
            raise ApiError(404, 50, "Pin not found.")
        return pin

    def delete_pin(self, pin: Pin) -> None:
        """Delete a pin."""
        with self.lock:
            self.records.pins.pop(pin.id, None)

    def listed(self, pins: list[Pin]) -> list[Pin]:
        """What a listing shows of *pins*: those created at least ``listing_lag_ms`` ago."""
        if not self.listing_lag_ms:
            return pins
        cutoff = self.clock() - self.listing_lag_ms / 1000
        return [pin for pin in pins if pin.created_at <= cutoff]

    def pins_on_board(self, board_id: str) -> list[Pin]:
        """A board's pins, newest first."""
        with self.lock:
            pins = [p for p in self.records.pins.values() if p.board_id == board_id]
        return sorted(pins, key=lambda pin: pin.seq, reverse=True)

    def pins_of(self, user_id: str) -> list[Pin]:
        """A user's pins, newest first."""
        with self.lock:
            pins = [p for p in self.records.pins.values() if p.owner_id == user_id]
        return sorted(pins, key=lambda pin: pin.seq, reverse=True)

    # -- media ---------------------------------------------------------------------------------

    def register_media(self, owner_id: str, media_type: str) -> Media:
        """A registered (not yet uploaded) media upload."""
        with self.lock:
            media_id = self.new_id()
            key = f"uploads/sandbox/{media_id}:{media_type}"
            media = Media(media_id, owner_id, media_type, "registered", key, self.next_seq())
            self.records.media[media_id] = media
            return media

    def media_for(self, user_id: str, media_id: str) -> Media:
        """A media upload of the user; 404 otherwise."""
        with self.lock:
            media = self.records.media.get(media_id)
        if media is None or media.owner_id != user_id:
            raise ApiError(404, 404, "Media not found.")
        return media

    def mark_uploaded(self, media: Media, size: int, sha256: str = "") -> None:
        """The file arrived: processing for ``media_polls`` polls, then succeeded."""
        with self.lock:
            media.size = size
            media.sha256 = sha256
            media.polls_left = self.media_polls
            media.status = "processing" if self.media_polls > 0 else "succeeded"

    def poll_media(self, media: Media) -> str:
        """One status poll: advances processing media towards ``succeeded``."""
        with self.lock:
            if media.status == "processing":
                media.polls_left -= 1
                if media.polls_left <= 0:
                    media.status = "succeeded"
            return media.status


def iso(timestamp: float) -> str:
    """An RFC 3339 ``date-time`` in UTC to the second, as the spec's format asks
    (``2026-11-24T10:45:44Z``; the offset is required)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def paginate(
    items: Sequence[T], seq_of: Callable[[T], int], bookmark: str | None, page_size: int,
    *, newest_first: bool,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in order) after ``bookmark``, and the next bookmark."""
    if bookmark:
        try:
            after = int(base64.urlsafe_b64decode(bookmark.encode() + b"==").decode())
        except ValueError as exc:
            raise ApiError(400, 1, "Invalid bookmark.") from exc
        items = [i for i in items if (seq_of(i) < after if newest_first else seq_of(i) > after)]
    page = list(items[:page_size])
    if len(items) <= page_size or not page:
        return page, None
    cursor = str(seq_of(page[-1])).encode()
    return page, base64.urlsafe_b64encode(cursor).decode().rstrip("=")
