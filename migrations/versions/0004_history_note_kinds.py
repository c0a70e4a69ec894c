"""history note kinds: notes are stored as a kind and its parameters, not as English text

The old notes were sentences core wrote in English and the console parsed back to translate.
This revision parses the known sentences once into kind + parameters; a note it does not
recognise stays readable as a `legacy` note holding its text. A customer's answer to a
please-confirm email was kept as the status change's reason; it becomes a note too. The
downgrade writes the English sentences back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00

"""
import re
from datetime import datetime

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

KINDS = (
    'moved', 'customer_linked', 'customer_created', 'customer_merged', 'accepted', 'declined',
    'legacy',
)
# The please-confirm answers, which were stored as the reason of the status change.
ANSWERS = {
    'accepted': 'Accepted by the customer via the coordination email',
    'declined': 'Declined by the customer via the coordination email',
}

history = sa.table(
    'status_change',
    sa.column('id', sa.Integer),
    sa.column('from_status_id', sa.Integer),
    sa.column('to_status_id', sa.Integer),
    sa.column('reason', sa.Text),
    sa.column('note', sa.String),
    sa.column('note_kind', sa.String),
    sa.column('note_params', sa.JSON),
)


def _instant(text):
    """An old note's ISO instant, normalised; a naive or garbled one is no instant."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(text)
    return value.isoformat()


PATTERNS = [
    (
        re.compile(r'moved from (\S+) to (\S+)'),
        'moved',
        lambda m: {'old': _instant(m[1]), 'new': _instant(m[2])},
    ),
    (re.compile(r'customer linked: (.*)'), 'customer_linked', lambda m: {'name': m[1]}),
    (re.compile(r'customer created: (.*)'), 'customer_created', lambda m: {'name': m[1]}),
    (
        re.compile(r'customer merged: (.*) \(#(\d+)\) into #(\d+)'),
        'customer_merged',
        lambda m: {'name': m[1], 'duplicate_id': int(m[2]), 'keep_id': int(m[3])},
    ),
]


def parse(note):
    """The kind and parameters of an old note; one it cannot read stays `legacy` text."""
    for kind, text in ANSWERS.items():
        if note == text:
            return kind, {}
    for pattern, kind, params in PATTERNS:
        match = pattern.fullmatch(note)
        if match:
            try:
                return kind, params(match)
            except ValueError:  # not an instant after all
                break
    return 'legacy', {'text': note}


def sentence(kind, params):
    """The English sentence the old code wrote for a kind (the downgrade's inverse of parse)."""
    if kind in ANSWERS:
        return ANSWERS[kind]
    if kind == 'moved':
        return f"moved from {params['old']} to {params['new']}"
    if kind == 'customer_merged':
        return (
            f"customer merged: {params['name']} (#{params['duplicate_id']}) "
            f"into #{params['keep_id']}"
        )
    if kind in ('customer_linked', 'customer_created'):
        return f"customer {kind.removeprefix('customer_')}: {params['name']}"
    return params['text']


def upgrade():
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_kind', sa.Enum(
            *KINDS, name='notekind', native_enum=False, length=30), nullable=True))
        batch_op.add_column(sa.Column('note_params', sa.JSON(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(history.c.id, history.c.note, history.c.reason).where(
            sa.or_(history.c.note != '', history.c.reason.in_(list(ANSWERS.values())))
        )
    ).all()
    for row in rows:
        answered = not row.note and row.reason in ANSWERS.values()
        kind, params = parse(row.reason if answered else row.note)
        conn.execute(
            history.update()
            .where(history.c.id == row.id)
            .values(note_kind=kind, note_params=params, reason='' if answered else row.reason)
        )
    conn.execute(history.update().where(history.c.note_params.is_(None)).values(note_params={}))
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.alter_column('note_params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('note')


def downgrade():
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(history).where(history.c.note_kind.is_not(None))
    ).all()
    for row in rows:
        text = sentence(row.note_kind, row.note_params)[:500]
        as_reason = row.note_kind in ANSWERS and row.from_status_id != row.to_status_id
        conn.execute(
            history.update()
            .where(history.c.id == row.id)
            .values(note='' if as_reason else text, reason=text if as_reason else row.reason)
        )
    conn.execute(history.update().where(history.c.note.is_(None)).values(note=''))
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.alter_column('note', existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column('note_params')
        batch_op.drop_column('note_kind')
