"""Outbox rows in the staff's words: what kind of message a row is and why it was skipped or
failed. Core stores kinds as identifiers and reasons in English (core.outbox.Kind, Skip and
the reminder rules); the messages page and the reminder log show them translated."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.models import NotificationState
from core.outbox import Kind, Skip

KINDS = {
    Kind.REQUEST_RECEIVED: _l("Request received (customer)"),
    Kind.CONFIRMATION: _l("Confirmation (customer)"),
    Kind.CONFIRMATION_COPY: _l("Copy of the confirmation (branch)"),
    Kind.CANCELLATION: _l("Cancellation (customer)"),
    Kind.STAFF_NEW_REQUEST: _l("New online request (practice)"),
    Kind.STAFF_CUSTOMER_CANCELLED: _l("Cancelled by the customer (practice)"),
    Kind.STAFF_DECLINED: _l("Declined by the customer (practice)"),
    Kind.COORDINATION_REQUEST: _l("Please-confirm email (customer)"),
    Kind.COORDINATION_UPDATE: _l("Please-confirm update (customer)"),
    Kind.REMINDER: _l("Reminder (customer)"),
    Kind.RESCHEDULED: _l("New time after the customer's move (customer)"),
    Kind.STAFF_CUSTOMER_RESCHEDULED: _l("Moved by the customer (practice)"),
    Kind.WAITLIST_OFFER: _l("Earlier time offered (waiting list)"),
    Kind.WAITLIST_GONE: _l("Offered time taken (waiting list)"),
    Kind.MANUAL: _l("Message from staff (customer)"),
}


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def reason(row) -> str:
    """The stored English reason (or error) in the reader's language when it is a known one."""
    known = {
        "customer wants no messages": _("customer wants no messages"),
        "no SMS-capable number or email address": _("no SMS-capable number or email address"),
        Skip.NO_LONGER_DUE: _("no longer due: the appointment was cancelled or moved"),
        Skip.WITHDRAWN: _("the please-confirm request was withdrawn"),
        Skip.STARTED: _("the appointment has already started"),
        Skip.SAME_DAY: _("it would arrive on the appointment's own day"),
        Skip.BRANCH_CLOSED: _("the branch is closed that day: move or cancel the appointment"),
        Skip.OFFER_GONE: _("the offered time is taken or the offer has expired"),
        Skip.UNDONE: _("staff undid the change inside its undo window"),
    }
    if row.last_error:
        return known.get(row.last_error, row.last_error)
    if row.state is NotificationState.SKIPPED:
        return _("no longer due: the appointment was cancelled or moved")
    if (row.payload or {}).get("unlinked"):
        return _("Not linked to a customer: to the contact details of the online booking")
    return ""
