"""holidays and buffers: a branch's country and state (its statutory holidays), the
practice's openings and closing days per branch, buffer times per type and the blocked time
of each appointment, which the exclusion constraint now compares (PostgreSQL)

Existing branches take their practice's country when it is DE, AT or CH (nationwide
holidays; the state is chosen in the console); existing appointments keep no buffers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_CONSTRAINT = (
    "ALTER TABLE appointment ADD CONSTRAINT ex_appointment_no_overlap EXCLUDE USING gist "
    '(resource_id WITH =, tstzrange(start, "end") WITH &&, slot_key WITH <>) '
    "WHERE (holds_slot)"
)
NEW_CONSTRAINT = (
    "ALTER TABLE appointment ADD CONSTRAINT ex_appointment_no_overlap EXCLUDE USING gist "
    "(resource_id WITH =, tstzrange(busy_start, busy_end) WITH &&, slot_key WITH <>) "
    "WHERE (holds_slot)"
)
DROP_CONSTRAINT = "ALTER TABLE appointment DROP CONSTRAINT ex_appointment_no_overlap"


def upgrade():
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("country", sa.String(length=2), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("subdivision", sa.String(length=20), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE branch SET country = (SELECT practice.country FROM practice "
        "WHERE practice.id = branch.practice_id AND practice.country IN ('DE', 'AT', 'CH')) "
        "WHERE EXISTS (SELECT 1 FROM practice WHERE practice.id = branch.practice_id "
        "AND practice.country IN ('DE', 'AT', 'CH'))"
    )
    op.create_table(
        "branch_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_branch_day_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_day")),
        sa.UniqueConstraint("branch_id", "day", name="uq_branch_day_branch_day"),
    )
    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        for column in ("buffer_before_minutes", "buffer_after_minutes"):
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        for column in ("buffer_before_minutes", "buffer_after_minutes"):
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("busy_start", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("busy_end", UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE appointment SET busy_start = start, busy_end = "end"')
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("busy_start", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column("busy_end", existing_type=UTCDateTime(timezone=True), nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_CONSTRAINT)
        op.execute(NEW_CONSTRAINT)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_CONSTRAINT)
        op.execute(OLD_CONSTRAINT)
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        for column in ("busy_end", "busy_start", "buffer_after_minutes", "buffer_before_minutes"):
            batch_op.drop_column(column)
    with op.batch_alter_table("appointment_type", schema=None) as batch_op:
        batch_op.drop_column("buffer_after_minutes")
        batch_op.drop_column("buffer_before_minutes")
    op.drop_table("branch_day")
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_column("subdivision")
        batch_op.drop_column("country")
