"""Rotating RENKEI_ENCRYPTION_KEY: old secrets stay readable, then are re-encrypted."""

import base64
import os

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.models.connection import Connection
from app.security.secrets import SecretUnreadable, decrypt
from app.services.connections import reencrypt_secrets


def test_rotation_keeps_secrets_readable_and_reencrypts(app, db_session):
    connection = Connection(
        provider="freee",
        name="rot",
        client_id="c",
        client_secret="s3cret",
        api_base_url="x",
        authorize_url="x",
        token_url="x",
    )
    db_session.add(connection)
    db_session.commit()
    old_key = app.config["ENCRYPTION_KEYS"][0]
    new_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    try:
        app.config["ENCRYPTION_KEYS"] = [new_key, old_key]
        db_session.expire_all()
        assert db_session.get(Connection, connection.id).client_secret == "s3cret"
        assert reencrypt_secrets(db_session) == 1
        raw = db_session.execute(sa.text("SELECT client_secret FROM connection")).scalar_one()
        assert Fernet(new_key).decrypt(raw.encode()) == b"s3cret"
        app.config["ENCRYPTION_KEYS"] = [new_key]  # the old key can now be dropped
        assert decrypt(raw) == "s3cret"
        app.config["ENCRYPTION_KEYS"] = [old_key]
        with pytest.raises(SecretUnreadable, match="old key"):
            decrypt(raw)
    finally:
        app.config["ENCRYPTION_KEYS"] = [old_key]
        db_session.rollback()
        db_session.execute(sa.text("DELETE FROM connection"))
        db_session.commit()
