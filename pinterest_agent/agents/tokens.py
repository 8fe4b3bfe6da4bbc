"""Access tokens that are valid when a request goes out.

A channel's token is refreshed ahead of expiry, and again when Pinterest answers 401, always under
the channel's cross-process lock: the first caller refreshes, every other caller waiting on the
lock re-reads the stored credentials and finds the new token, so concurrent jobs make one token
call. Pinterest rotates refresh tokens (continuous refresh); the rotated one and both expiries
are persisted before the lock is released.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from pinterest_agent.agents.ports import ChannelCredentials, CredentialStore
from pinterest_agent.errors import AuthError, InvalidInputError
from pinterest_agent.providers.pinterest import TokenSet

__all__ = ["TokenKeeper", "TokenRefresher", "UnknownChannelError"]

log = logging.getLogger(__name__)

DEFAULT_REFRESH_MARGIN_S = 5 * 24 * 3600


class UnknownChannelError(InvalidInputError):
    default_code = "unknown_channel"


class TokenRefresher(Protocol):
    """``PinterestOAuth.refresh`` satisfies this."""

    def refresh(self, refresh_token: str) -> TokenSet: ...


class TokenKeeper:
    def __init__(
        self,
        store: CredentialStore,
        oauth: TokenRefresher,
        *,
        margin_s: float = DEFAULT_REFRESH_MARGIN_S,
        cache_s: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._oauth = oauth
        self._margin_s = margin_s
        self._cache_s = cache_s
        self._clock = clock
        self._cached: dict[str, tuple[float, ChannelCredentials]] = {}
        self._cache_lock = threading.Lock()

    def credentials(self, channel_id: str) -> ChannelCredentials:
        """The channel's credentials, decrypted. With ``cache_s`` a read is reused for that
        long in this process: a token refreshed meanwhile by another process is at worst used
        once more and answered 401, which refreshes (under the lock, from a fresh read)."""
        if self._cache_s > 0:
            with self._cache_lock:
                hit = self._cached.get(channel_id)
            if hit is not None and self._clock() - hit[0] < self._cache_s:
                return hit[1]
        creds = self._read(channel_id)
        if self._cache_s > 0:
            with self._cache_lock:
                self._cached[channel_id] = (self._clock(), creds)
        return creds

    def forget(self, channel_id: str) -> None:
        with self._cache_lock:
            self._cached.pop(channel_id, None)

    def _read(self, channel_id: str) -> ChannelCredentials:
        creds = self._store.get(channel_id)
        if creds is None:
            raise UnknownChannelError(
                f"channel {channel_id!r} is not connected to this worker; connect it with "
                "`pinterest-agent channels connect` or `channels add`",
                field="channel_id",
            )
        return creds

    def access_token(self, channel_id: str) -> str:
        """A token valid for at least the refresh margin, refreshing it first if needed."""
        return self.access_token_for(self.credentials(channel_id))

    def access_token_for(self, creds: ChannelCredentials) -> str:
        """Like :meth:`access_token` for credentials the caller has already read."""
        if creds.expires_at - self._clock() > self._margin_s:
            return creds.access_token.get_secret_value()
        return self._refresh(creds.channel_id, stale=creds.access_token.get_secret_value())

    def after_unauthorized(self, channel_id: str, rejected_token: str) -> str:
        """Pinterest refused *rejected_token*: refresh once (unless another job already did)."""
        return self._refresh(channel_id, stale=rejected_token, force=True)

    def _refresh(self, channel_id: str, *, stale: str, force: bool = False) -> str:
        self.forget(channel_id)
        with self._store.lock(channel_id):
            creds = self._read(channel_id)  # never from the cache: another process may have
            # refreshed (and rotated the refresh token) since
            current = creds.access_token.get_secret_value()
            fresh_enough = creds.expires_at - self._clock() > self._margin_s
            if current != stale or (fresh_enough and not force):
                return current  # someone refreshed while we waited for the lock
            if creds.refresh_token is None:
                raise AuthError(
                    f"channel {channel_id!r} has no refresh token and its access token is "
                    "expired or refused; reconnect it with `pinterest-agent channels connect`"
                )
            tokens = self._oauth.refresh(creds.refresh_token.get_secret_value())
            updated = creds.model_copy(
                update={
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token or creds.refresh_token,
                    "expires_at": tokens.expires_at,
                    "refresh_token_expires_at": tokens.refresh_token_expires_at
                    or creds.refresh_token_expires_at,
                    "scope": tokens.scope or creds.scope,
                    "updated_at": self._clock(),
                }
            )
            self._store.put(updated)
            self.forget(channel_id)
            log.info(
                "refreshed access token channel=%s rotated_refresh_token=%s",
                channel_id,
                tokens.refresh_token is not None,
            )
            return updated.access_token.get_secret_value()
