"""``flask renkei …`` commands: bootstrap roles, demo users and demo data."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

renkei = AppGroup("renkei", help="Renkei set-up commands.")

# Demo logins: one per profile, the password is the login.
DEMO_USERS = [
    ("admin", "Admin", "Admin", "User"),
    ("sales", "Sales", "営業", "太郎"),
    ("accounting", "Accounting", "経理", "花子"),
    ("approver", "Approver", "承認", "次郎"),
    ("readonly", "ReadOnly", "閲覧", "三郎"),
]


def bootstrap(reset_profiles: bool = False) -> list[str]:
    """Create roles, permissions, ready-made profiles, default templates and the default
    reminder rules (safe to repeat)."""
    from app.services.documents.templates import ensure_default_templates
    from app.services.reminders.rules import ensure_default_rules

    written = current_app.appbuilder.sm.bootstrap(reset_profiles=reset_profiles)
    ensure_default_templates()
    ensure_default_rules()
    return written


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """Create the demo logins that do not exist yet; return (login, password, role)."""
    sm = current_app.appbuilder.sm
    made = []
    for username, role_name, first, last in DEMO_USERS:
        role = sm.find_role(role_name)
        if sm.find_user(username=username) is None:
            sm.add_user(username, first, last, f"{username}@example.com", role, password=username)
        made.append((username, username, role_name))
    return made


@renkei.command("bootstrap")
@click.option(
    "--reset-profiles",
    is_flag=True,
    help="Rewrite the ready-made profiles to their defaults (undoes edits).",
)
def bootstrap_command(reset_profiles: bool) -> None:
    """Create roles, permissions and the ready-made profiles."""
    written = bootstrap(reset_profiles)
    click.echo(f"Roles and permissions are up to date. Profiles written: {written or 'none'}")


@renkei.command("demo")
def demo_command() -> None:
    """Bootstrap, create the demo logins and load the demo data."""
    from app.extensions import db
    from app.services.demo_data import load_demo_data

    bootstrap()
    logins = ensure_demo_users()
    owners = [current_app.appbuilder.sm.find_user(username=u).id for u, _, _ in logins]
    counts = load_demo_data(db.session, owners=owners)
    click.echo(f"Demo data: {counts or 'already loaded'}")


@renkei.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt every stored secret with the first RENKEI_ENCRYPTION_KEY."""
    from app.extensions import db
    from app.services.connections import reencrypt_secrets

    count = reencrypt_secrets(db.session)
    click.echo(f"Re-encrypted the secrets of {count} connection(s) with the newest key.")


def register_cli(app: Flask) -> None:
    """Attach the ``renkei`` command group to ``app``."""
    app.cli.add_command(renkei)
