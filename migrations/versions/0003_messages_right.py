"""every message right: the customer's language on the appointment, the slot columns and the
exclusion constraint against double booking (PostgreSQL), idempotency keys without addresses

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:00:00

"""

import hashlib

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FREEING_KINDS = ("cancelled", "declined")


def upgrade():
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), nullable=False, server_default="de")
        )
        batch_op.add_column(
            sa.Column("holds_slot", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("slot_key", sa.String(length=120), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE appointment SET language = "
        "(SELECT practice.language FROM practice WHERE practice.id = appointment.practice_id)"
    )
    op.execute(
        "UPDATE appointment SET holds_slot = NOT EXISTS (SELECT 1 FROM status WHERE "
        "status.id = appointment.status_id AND status.kind IN ('cancelled', 'declined'))"
    )
    _fill_slot_keys()
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("language", server_default=None)
        batch_op.alter_column("holds_slot", server_default=None)
        batch_op.alter_column("slot_key", server_default=None)
    if op.get_bind().dialect.name == "postgresql":
        _refuse_existing_overlaps()
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointment ADD CONSTRAINT ex_appointment_no_overlap EXCLUDE USING gist "
            '(resource_id WITH =, tstzrange(start, "end") WITH &&, slot_key WITH <>) '
            "WHERE (holds_slot)"
        )
    _rewrite_idempotency_keys()


def _fill_slot_keys():
    """Group sessions share a key (type and start); every other appointment has its own."""
    bind = op.get_bind()
    appointment = sa.table(
        "appointment",
        sa.column("id", sa.Integer),
        sa.column("type_id", sa.Integer),
        sa.column("start", UTCDateTime()),
        sa.column("ics_uid", sa.String),
        sa.column("slot_key", sa.String),
    )
    kind = sa.table(
        "appointment_type", sa.column("id", sa.Integer), sa.column("capacity", sa.Integer)
    )
    rows = bind.execute(
        sa.select(
            appointment.c.id,
            appointment.c.type_id,
            appointment.c.start,
            appointment.c.ics_uid,
            kind.c.capacity,
        ).join(kind, kind.c.id == appointment.c.type_id)
    ).all()
    for row_id, type_id, start, uid, capacity in rows:
        key = f"group:{type_id}@{start.isoformat()}" if capacity > 1 else f"one:{uid}"
        bind.execute(appointment.update().where(appointment.c.id == row_id).values(slot_key=key))


def _refuse_existing_overlaps():
    """Double bookings the old settings let through must be resolved by staff first: the
    upgrade names them instead of cancelling anyone's appointment behind their back."""
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT a.id, b.id FROM appointment a JOIN appointment b ON a.resource_id = b.resource_id "
                'AND a.id < b.id AND a.start < b."end" AND b.start < a."end" AND a.slot_key <> b.slot_key '
                "WHERE a.holds_slot AND b.holds_slot"
            )
        )
        .all()
    )
    if clashes:
        pairs = ", ".join(f"{a}/{b}" for a, b in clashes[:20])
        raise RuntimeError(
            f"Double-booked appointments (ids {pairs}): cancel or move one of each pair in the "
            "console, then run `flask db upgrade` again."
        )


def _rewrite_idempotency_keys():
    """Keys named the recipient's address; they keep a digest of it instead (erasure and
    the retention run must leave nothing that names a person)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, idempotency_key FROM notification")).all()
    for row_id, key in rows:
        parts = key.split(":")
        if "@" not in parts[-1]:
            continue
        parts[-1] = hashlib.sha256(parts[-1].strip().lower().encode()).hexdigest()[:20]
        bind.execute(
            sa.text("UPDATE notification SET idempotency_key = :k WHERE id = :i"),
            {"k": ":".join(parts), "i": row_id},
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_no_overlap")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("slot_key")
        batch_op.drop_column("holds_slot")
        batch_op.drop_column("language")
