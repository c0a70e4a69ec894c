"""The customer's choices so far (type, branch, resource), validated against the practice."""

from __future__ import annotations

from flask_babel import gettext as _

from core import booking
from core.models import AppointmentType, Branch, Practice
from widget.common import WidgetError, int_arg


def online_types(practice: Practice) -> list[AppointmentType]:
    return [t for t in practice.appointment_types if t.online_bookable and t.resources]


def branches_for(kind: AppointmentType | None, practice: Practice) -> list[Branch]:
    if kind is None:
        return list(practice.branches)
    ids = {r.branch_id for r in kind.resources if r.active}
    return [b for b in practice.branches if b.id in ids]


class Choice:
    """The customer's choices so far (type, branch, resource), validated against the practice.

    Where only one type or branch exists it is chosen for the customer.
    """

    def __init__(self, practice: Practice, type_id, branch_id, resource_id):
        types = online_types(practice)
        self.kind = next((t for t in types if t.id == type_id), None)
        if self.kind is None and len(types) == 1 and type_id is None:
            self.kind = types[0]
        branches = branches_for(self.kind, practice)
        self.branch = next((b for b in branches if b.id == branch_id), None)
        if self.branch is None and len(branches) == 1 and branch_id is None:
            self.branch = branches[0]
        self.resources = (
            booking.bookable_resources(self.kind, self.branch.id) if self.complete else []
        )
        self.resource = next((r for r in self.resources if r.id == resource_id), None)
        if resource_id and self.resource is None and self.complete:
            raise WidgetError(404, _("This person or room cannot be booked online."))
        if self.resource is not None:
            self.resources = [self.resource]

    @classmethod
    def from_request(cls, practice: Practice) -> Choice:
        return cls(practice, int_arg("type"), int_arg("branch"), int_arg("resource"))

    @property
    def complete(self) -> bool:
        return self.kind is not None and self.branch is not None

    def params(self) -> dict:
        values = {}
        if self.kind is not None:
            values["type"] = self.kind.id
        if self.branch is not None:
            values["branch"] = self.branch.id
        if self.resource is not None:
            values["resource"] = self.resource.id
        return values
