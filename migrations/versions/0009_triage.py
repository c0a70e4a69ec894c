"""status archive: a status the practice no longer uses leaves the choices but stays on the
appointments (and in the history) that had it

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 13:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('status') as batch:
        batch.add_column(
            sa.Column('archived', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('status') as batch:
        batch.drop_column('archived')
