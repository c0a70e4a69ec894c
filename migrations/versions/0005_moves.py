"""moves: customers reschedule through their link (practice and type settings) and wait for an
earlier time (waitlist entries and offers, practice settings)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reschedule_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reschedulable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waitlist_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("waitlist_offer_hours", sa.Integer(), nullable=False, server_default="12")
        )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        for name in ("reschedule_enabled", "waitlist_enabled", "waitlist_offer_hours"):
            batch_op.alter_column(name, server_default=None)
    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        batch_op.alter_column("reschedulable", server_default=None)
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_waitlist_entry_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_waitlist_entry_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_waitlist_entry_appointment_id")),
    )
    op.create_index(
        op.f("ix_waitlist_entry_practice_id"), "waitlist_entry", ["practice_id"], unique=False
    )
    op.create_table(
        "waitlist_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entry.id"],
            name=op.f("fk_waitlist_offer_entry_id_waitlist_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_waitlist_offer_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_waitlist_offer_resource_id_resource")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer")),
    )
    op.create_index(
        op.f("ix_waitlist_offer_entry_id"), "waitlist_offer", ["entry_id"], unique=False
    )
    op.create_index(
        op.f("ix_waitlist_offer_practice_id"), "waitlist_offer", ["practice_id"], unique=False
    )
    op.create_index("ix_waitlist_offer_slot", "waitlist_offer", ["resource_id", "start"])


def downgrade():
    op.drop_table("waitlist_offer")
    op.drop_table("waitlist_entry")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("waitlist_offer_hours")
        batch_op.drop_column("waitlist_enabled")
    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        batch_op.drop_column("reschedulable")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("reschedule_enabled")
