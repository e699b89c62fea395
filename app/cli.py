"""``flask renkei …`` commands: bootstrap roles, demo users and demo data."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

renkei = AppGroup("renkei", help="Renkei set-up commands.")

# Demo logins: one per profile; profiles beyond Admin arrive with the permissions work.
DEMO_USERS = [("admin", "Admin", "Admin", "User")]


def bootstrap() -> None:
    """Create roles and permissions for every screen and API (safe to repeat)."""
    current_app.appbuilder.sm.bootstrap()


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
def bootstrap_command() -> None:
    """Create roles and permissions."""
    bootstrap()
    click.echo("Roles and permissions are up to date.")


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


def register_cli(app: Flask) -> None:
    """Attach the ``renkei`` command group to ``app``."""
    app.cli.add_command(renkei)
