"""planner: the undo window of staff changes, the undoable changes, the audit log

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undo_seconds", sa.Integer(), nullable=False, server_default="60")
        )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.alter_column("undo_seconds", server_default=None)
    op.create_table(
        "undoable_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("made_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.Column("states", sa.JSON(), nullable=False),
        sa.Column("notification_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_undoable_change_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_undoable_change_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_undoable_change_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undoable_change")),
    )
    with op.batch_alter_table("undoable_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_undoable_change_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_undoable_change_practice_id"), ["practice_id"], unique=False
        )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_audit_entry_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_audit_entry_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entry_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_audit_entry_practice_at", ["practice_id", "at"], unique=False)


def downgrade():
    op.drop_table("audit_entry")
    op.drop_table("undoable_change")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("undo_seconds")
