"""Secrets at rest: :class:`SecretBox`, Fernet encryption from the ``secret_key`` setting."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from pinterest_agent.errors import ConfigurationError

__all__ = ["SecretBox"]


class SecretBox:
    """Fernet encryption for secrets at rest, from the ``secret_key`` setting.

    The setting holds one key, or several separated by commas for rotation: the first encrypts,
    every one decrypts (``MultiFernet``); ``pinterest-agent channels rekey`` then re-encrypts
    every stored credential with the first, after which the old keys can be dropped.
    """

    def __init__(self, key: SecretStr | str | bytes) -> None:
        raw = key.get_secret_value() if isinstance(key, SecretStr) else key
        text = raw.decode() if isinstance(raw, bytes) else raw
        keys = [part.strip() for part in text.split(",") if part.strip()]
        try:
            if not keys:
                raise ValueError("empty")
            self._fernet = MultiFernet([Fernet(part.encode()) for part in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "PINTEREST_AGENT_SECRET_KEY is not a valid Fernet key (or comma-separated list "
                "of keys); make one with `pinterest-agent keygen`"
            ) from exc
        self.key_count = len(keys)

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def open(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise ConfigurationError(
                "stored credentials cannot be decrypted with any key in "
                "PINTEREST_AGENT_SECRET_KEY; add the key they were stored with (comma-separated, "
                "after the new one), or reconnect the channel"
            ) from exc

    def rotate(self, token: bytes) -> bytes:
        """The same secret, encrypted with the first key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ConfigurationError(
                "a stored credential cannot be decrypted with any key in "
                "PINTEREST_AGENT_SECRET_KEY; add its key before rekeying"
            ) from exc
