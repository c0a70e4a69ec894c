"""The admin's audit log: who did what to which appointment, customer or setting, when."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from console.blueprint import bp
from console.common import admin_only, practice
from console.render import render
from core import audit, numbers
from core.models import Appointment, Customer
from extensions import db

# Changed fields in the staff's words. The time and status of an appointment are shown with
# their old and new values already, so their columns (and the blocked time behind them) are
# not repeated; a field without a name here (a setting's column) shows as it is stored.
FIELD_NAMES = {
    "customer_id": _l("Customer"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "salutation": _l("Salutation"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "notes": _l("Notes"),
    "preferred_channel": _l("Reminders by"),
    "resource_id": _l("Resource"),
    "type_id": _l("Type"),
    "message": _l("Message"),
}
SHOWN_WITH_VALUES = {"start", "end", "busy_start", "busy_end", "status_id"}


def field_names(fields: list[str]) -> list[str]:
    return [str(FIELD_NAMES.get(f, f)) for f in fields if f not in SHOWN_WITH_VALUES]


@bp.get("/audit")
@admin_only
def audit_log():
    p = practice()
    number = max(numbers.parse_count(request.args.get("page"), 1), 1)
    entries = audit.page(db.session, p.id, number)
    ids = {e.customer_id for e in entries if e.customer_id}
    customers = _by_id(Customer, p.id, ids)
    appointments = _by_id(
        Appointment, p.id, {e.target_id for e in entries if e.target == "appointment"}
    )
    return render(
        "console/audit.html",
        practice=p,
        entries=entries[: audit.PAGE_SIZE],
        more=len(entries) > audit.PAGE_SIZE,
        number=number,
        customers=customers,
        appointments=appointments,
        field_names=field_names,
    )


def _by_id(model, practice_id: int, ids: set[int]) -> dict:
    """The rows an audit page names, so it can say "Hörtest 04.12. 12:00", not "#15"."""
    rows = db.session.query(model).filter(model.id.in_(ids), model.practice_id == practice_id)
    return {row.id: row for row in rows}
