"""Encryption of secrets at rest (client secrets, access and refresh tokens).

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``, keys from ENCRYPTION_KEYS:
the first key encrypts, every key decrypts, so keys can be rotated.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys."""


def _cipher() -> MultiFernet:
    keys = current_app.config["ENCRYPTION_KEYS"]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext`` with the current key; returns ASCII text for storage."""
    return _cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a stored secret; raises SecretUnreadable when no key fits."""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: RENKEI_ENCRYPTION_KEY changed without "
            "keeping the old key. Put the old key back after the new one."
        ) from None


def reencrypt(token: str) -> str:
    """Re-encrypt a stored secret under the first (newest) key."""
    return _cipher().rotate(token.encode()).decode()
