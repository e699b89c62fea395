"""Column types of our own."""

from __future__ import annotations

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with the app's keys; Python sees the plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return None
        from app.security.secrets import encrypt

        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        from app.security.secrets import decrypt

        return decrypt(value)
