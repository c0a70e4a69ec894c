"""staff calendar feeds (secret subscription URLs, only the token's hash stored) and the
practice setting that lets them show the customer's contact details

Revision ID: 0007
Revises: 0010
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime


revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_calendar_feed_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_calendar_feed_resource_id_resource")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_calendar_feed_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feed_practice_id"), ["practice_id"])
        batch_op.create_index(batch_op.f("ix_calendar_feed_user_id"), ["user_id"])
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feed_shows_contact", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.alter_column("feed_shows_contact", server_default=None)


def downgrade():
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("feed_shows_contact")
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_user_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feed_practice_id"))
    op.drop_table("calendar_feed")
