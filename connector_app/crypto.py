"""Encryption at rest for marketplace tokens (Fernet: AES-128-CBC + HMAC-SHA256).

``TOKEN_ENCRYPTION_KEY`` may hold several comma-separated keys, newest first, so keys can be rotated:
new values are encrypted with the first key and old values still decrypt with the others.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator


class TokenCipher:
    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None

    def init_app(self, app: Flask) -> None:
        keys = [k.strip() for k in app.config["TOKEN_ENCRYPTION_KEY"].split(",") if k.strip()]
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        app.extensions["token_cipher"] = self

    def encrypt(self, plaintext: str) -> bytes:
        assert self._fernet is not None, "TokenCipher.init_app() was not called"
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        assert self._fernet is not None, "TokenCipher.init_app() was not called"
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:  # wrong key: say so instead of handing out garbage
            raise ValueError("stored token cannot be decrypted with the configured keys") from exc


class EncryptedString(TypeDecorator):
    """A string column stored encrypted; reads and writes plaintext in Python."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return token_cipher.encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return token_cipher.decrypt(bytes(value))


# The one cipher of the process, bound to the app by ``init_app``; ``extensions`` re-exports it.
token_cipher = TokenCipher()
