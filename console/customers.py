"""Customers: search, the customer page and form, merge, JSON export and erasure (GDPR)."""

from __future__ import annotations

from flask import jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from clock import utcnow
from console.blueprint import bp
from console.common import admin_only, get, id_value, practice
from console.customer_form import CustomerForm
from console.render import render
from core import coordination, customer_search, privacy, triage
from core.models import (
    Appointment,
    Channel,
    Customer,
)
from extensions import db


@bp.get("/customers")
def customers():
    q = request.args.get("q", "").strip()[:100]
    p = practice()
    rows = customer_search.find(db.session, p.id, q, country=p.country)
    return render("console/customers.html", "results", customers=rows, q=q, practice=p)


@bp.route("/customers/new", methods=["GET", "POST"])
@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
def customer(customer_id: int | None = None):
    c = get(Customer, customer_id) if customer_id else None
    for_request = _unlinked_request() if c is None else None
    form = CustomerForm.from_customer(c)
    if for_request is not None:
        form = CustomerForm(values=triage.request_values(for_request))
    if request.method == "POST":
        form = CustomerForm.parse(request.form, practice().country)
        if form.valid and for_request is not None:
            triage.create_customer_from_request(
                db.session,
                for_request,
                user_id=current_user.user.id,
                now=utcnow(),
                values=form.values,
            )
            return redirect(url_for("console.appointment", appointment_id=for_request.id), 303)
        if form.valid:
            c = triage.save_customer(
                db.session,
                c,
                practice_id=current_user.practice_id,
                values=form.values,
                now=utcnow(),
            )
            return redirect(url_for("console.customer", customer_id=c.id), code=303)
    appointments = (
        db.session.scalars(
            select(Appointment)
            .where(Appointment.customer_id == c.id)
            .order_by(Appointment.start.desc())
        ).all()
        if c
        else []
    )
    now = utcnow()
    return render(
        "console/customer.html",
        customer=c,
        form=form,
        appointments=appointments,
        confirmable={a.id for a in appointments if coordination.can_start(a, now)},
        others=_merge_candidates(c) if c else [],
        for_request=for_request,
        channels=list(Channel),
        practice=practice(),
        status=422 if form.errors else 200,
    )


def _unlinked_request() -> Appointment | None:
    """The request a new customer is created for (`?from=`), while it has none linked."""
    appointment_id = id_value(request.args, "from")
    if appointment_id is None:
        return None
    appointment = get(Appointment, appointment_id)
    return appointment if appointment.customer_id is None else None


def _merge_candidates(c: Customer) -> list[Customer]:
    """The practice's other customers, for the duplicate picker."""
    return db.session.scalars(
        select(Customer)
        .where(Customer.practice_id == c.practice_id, Customer.id != c.id)
        .order_by(Customer.last_name, Customer.first_name)
        .limit(500)
    ).all()


@bp.post("/customers/<int:customer_id>/merge")
def merge_customer(customer_id: int):
    """Merge the chosen duplicate into this customer."""
    keep = get(Customer, customer_id)
    duplicate = get(Customer, id_value(request.form, "duplicate") or 0)
    triage.merge_customers(db.session, keep, duplicate, user_id=current_user.user.id, now=utcnow())
    return redirect(url_for("console.customer", customer_id=keep.id), code=303)


@bp.get("/customers/<int:customer_id>/export")
def export_customer(customer_id: int):
    """Everything stored about the customer as JSON (GDPR Art. 15)."""
    c = get(Customer, customer_id)
    response = jsonify(privacy.export_customer(db.session, c))
    response.headers["Content-Disposition"] = f'attachment; filename="kunde-{c.id}.json"'
    return response


@bp.post("/customers/<int:customer_id>/erase")
@admin_only
def erase_customer(customer_id: int):
    """Erase the customer (GDPR Art. 17): appointments stay, anonymous and unlinked."""
    c = get(Customer, customer_id)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("console.customer", customer_id=c.id), code=303)
    privacy.erase_customer(db.session, c, utcnow())
    return redirect(url_for("console.customers"), code=303)
