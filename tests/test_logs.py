"""Logs never carry a secret (message, exception text or traceback) or a whole message body."""

from __future__ import annotations

import io
import logging

import pytest

from pinterest_agent.queues.logs import MAX_RECORD_CHARS, SafeFormatter, install, redact

TOKEN = "pina_AbCdEfGhIjKlMnOpQrStUvWx"


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    install(logger)
    return logger, stream


def test_secrets_in_exception_text_and_tracebacks_are_redacted() -> None:
    logger, stream = _capture()
    # Given an exception whose text and traceback locals echo a token
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        raise RuntimeError(f"upstream said: access_token={TOKEN} headers={headers}")
    except RuntimeError:
        logger.exception("request failed")
    text = stream.getvalue()
    # Then neither the message, the exception text nor the traceback shows it
    assert "request failed" in text and "RuntimeError" in text
    assert TOKEN not in text
    assert "[redacted]" in text


def test_huge_records_are_capped_with_a_note() -> None:
    logger, stream = _capture()
    logger.error("message body: %s", "x" * 5_000_000)
    text = stream.getvalue()
    assert len(text) < MAX_RECORD_CHARS + 200
    assert "characters cut" in text


def test_install_keeps_the_handlers_own_format() -> None:
    logger, stream = _capture()
    install(logger)  # twice: still one wrapper
    logger.warning("plain")
    assert stream.getvalue() == "WARNING plain\n"
    assert isinstance(logger.handlers[0].formatter, SafeFormatter)


@pytest.mark.parametrize("secret", [
    "Bearer abcdefgh12345678", "BASIC dXNlcjpwYXNzd29yZA==", "access_token=abcdefgh12345678",
    "Refresh_Token: 'abcdefgh12345678'", "CLIENT_SECRET=abcdefgh12345678",
    '"api_key": "abcdefgh12345678"', "secret_key=abcdefgh12345678", "Code=abcdefgh12345678",
    "PASSWORD: abcdefgh12345678", "pina_abcdefghijklmnop", "pinr_abcdefghijklmnop",
    "sk-abcdefghijklmnop", "sk_abcdefghijklmnop",
])
def test_every_kind_of_secret_is_redacted_whatever_its_case(secret: str) -> None:
    # The quick check that lets ordinary lines through must never let a secret through
    line = f"published post_id=p1 then {secret} and more"
    assert "abcdefgh" not in redact(line)
    assert "[redacted]" in redact(line)


def test_an_ordinary_line_is_returned_as_it_is() -> None:
    line = "published post_id=p-1 pin_id=1234567890123 board_id=9876543210"
    assert redact(line) is line
