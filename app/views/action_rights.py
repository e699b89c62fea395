"""Bulk and row actions that need a right beyond the screen's own.

FAB offers an action to whoever holds ``can_<action>`` on the view. Some actions call a
provider and need a business right too (refreshing statuses needs
``can_refresh_statuses``): ``needs_right`` marks the action, and the list and show pages
offer it only to users who hold that right. The action itself still refuses (403).
"""

from __future__ import annotations

from flask import current_app


def needs_right(permission: str, resource: str):
    """Mark a view's action as offered only to users holding (permission, resource)."""

    def mark(func):
        func._renkei_right = (permission, resource)
        return func

    return mark


def install_action_rights(app) -> None:
    """Wrap FAB's action filters of the list and show pages with the marked rights."""
    env = app.jinja_env
    for name in ("get_actions_on_list", "get_actions_on_show"):
        original = env.filters[name]
        env.filters[name] = _with_rights(original)


def _with_rights(original):
    def offered(actions, modelview_name):
        visible = original(actions, modelview_name)
        sm = current_app.appbuilder.sm
        return {
            key: action
            for key, action in visible.items()
            if not hasattr(action.func, "_renkei_right")
            or sm.has_access(*action.func._renkei_right)
        }

    return offered
