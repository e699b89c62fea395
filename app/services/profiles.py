"""Profiles (FAB roles) as a matrix of business resources × verbs, for the editor."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import PermissionView

from app.security.permissions import DOCUMENT_TYPES, SELF_SERVICE, menu_permissions
from app.services.errors import InvalidInput

# Framework resources (screens of FAB itself) stay out of the matrix: they are
# administration, granted through the Admin profile.
_FRAMEWORK_SUFFIXES = ("View", "Api", "ModelView")
# Rows in the order a back-office person thinks of them; unknown resources go last.
_ORDER = [
    "Deal",
    "Company",
    "Contact",
    "Product",
    "DealType",
    *DOCUMENT_TYPES,
    "Document",
    "ReceivablesSummary",
    "Reminder",
    "ReminderRule",
    "Milestone",
    "TimeEntry",
    "SalesOrder",
    "BillingSetting",
    "Subscription",
    "ProviderDocument",
    "SyncHistory",
    "CustomerSync",
    "Connection",
    "Profile",
]


@dataclass
class Matrix:
    """Rows are resources, columns verbs; ``cells`` maps (resource, verb) → held?"""

    resources: list[str]
    verbs: list[str]
    cells: dict[tuple[str, str], bool] = field(default_factory=dict)


def _business(pv: PermissionView) -> bool:
    name, perm = pv.view_menu.name, pv.permission.name
    return perm.startswith("can_") and not name.endswith(_FRAMEWORK_SUFFIXES)


def matrix_for(session, role) -> Matrix:
    """The editable matrix of ``role``: every business permission there is, ticked if held."""
    pvs = [pv for pv in session.query(PermissionView).all() if _business(pv)]
    held = {pv.id for pv in role.permissions}
    resources = sorted(
        {pv.view_menu.name for pv in pvs},
        key=lambda r: (_ORDER.index(r) if r in _ORDER else len(_ORDER), r),
    )
    verbs = sorted(
        {pv.permission.name[4:] for pv in pvs},
        key=lambda v: (["read", "write", "delete"] + [v]).index(v),
    )
    cells = {(pv.view_menu.name, pv.permission.name[4:]): pv.id in held for pv in pvs}
    return Matrix(resources, verbs, cells)


def save_matrix(session, role, ticked: set[tuple[str, str]]) -> None:
    """Give ``role`` exactly the ticked business permissions (plus their menus and the
    self-service ones); framework permissions it holds are kept as they are."""
    if role.name == "Admin":
        raise InvalidInput("The Admin profile always holds every permission.")
    by_pair = {
        (pv.view_menu.name, pv.permission.name): pv for pv in session.query(PermissionView).all()
    }
    wanted = {(f"can_{verb}", resource) for resource, verb in ticked}
    unknown = [pair for pair in wanted if (pair[1], pair[0]) not in by_pair]
    if unknown:
        raise InvalidInput(f"Unknown permissions: {sorted(unknown)}")
    wanted |= set(menu_permissions(sorted(wanted))) | set(SELF_SERVICE)
    kept = [
        pv for pv in role.permissions if not _business(pv) and pv.permission.name != "menu_access"
    ]
    chosen = [by_pair[(view, perm)] for perm, view in sorted(wanted) if (view, perm) in by_pair]
    role.permissions = list({pv.id: pv for pv in kept + chosen}.values())
    session.commit()
