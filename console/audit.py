"""The admin's audit log: who did what to which appointment, customer or setting, when."""

from __future__ import annotations

from flask import request

from console.blueprint import bp
from console.common import admin_only, practice
from console.render import render
from core import audit, numbers
from core.models import Customer
from extensions import db


@bp.get("/audit")
@admin_only
def audit_log():
    p = practice()
    number = max(numbers.parse_count(request.args.get("page"), 1), 1)
    entries = audit.page(db.session, p.id, number)
    ids = {e.customer_id for e in entries if e.customer_id}
    customers = {
        c.id: c
        for c in db.session.query(Customer).filter(
            Customer.id.in_(ids), Customer.practice_id == p.id
        )
    }
    return render(
        "console/audit.html",
        practice=p,
        entries=entries[: audit.PAGE_SIZE],
        more=len(entries) > audit.PAGE_SIZE,
        number=number,
        customers=customers,
    )
