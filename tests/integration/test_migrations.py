"""`flask db upgrade` builds the schema from nothing, and it matches the models (no drift)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, column, create_engine, inspect, select, table, text
from sqlalchemy.engine import make_url

from app import create_app
from core.models import Base, StatusChange, UTCDateTime
from extensions import db
from harness.services import PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    request.getfixturevalue("pg_engine")  # reachability (skip or fail like the other tests)
    name = f"drift_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_nothing_matches_the_models(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    assert diff == []


OLD_NOTES = {  # what revision 0003 stored: (note, reason) -> (kind, params, reason) at 0004
    ("moved from 2026-12-09T09:00:00+00:00 to 2026-12-15T09:00:00+00:00", ""): (
        "moved",
        {"old": "2026-12-09T09:00:00+00:00", "new": "2026-12-15T09:00:00+00:00"},
        "",
    ),
    ("customer linked: Erika Muster", ""): ("customer_linked", {"name": "Erika Muster"}, ""),
    ("customer created: Max Muster", ""): ("customer_created", {"name": "Max Muster"}, ""),
    ("customer merged: Erika Musterfrau (#7) into #3", ""): (
        "customer_merged",
        {"name": "Erika Musterfrau", "duplicate_id": 7, "keep_id": 3},
        "",
    ),
    ("", "Accepted by the customer via the coordination email"): ("accepted", {}, ""),
    ("Declined by the customer via the coordination email", ""): ("declined", {}, ""),
    ("moved from gestern to heute", ""): ("legacy", {"text": "moved from gestern to heute"}, ""),
    ("Rückruf vereinbart", ""): ("legacy", {"text": "Rückruf vereinbart"}, ""),
    ("", "Akustiker erkrankt"): (None, {}, "Akustiker erkrankt"),
}
OLD_HISTORY = table(  # status_change as revision 0003 has it
    "status_change",
    column("appointment_id"),
    column("from_status_id"),
    column("to_status_id"),
    column("at", UTCDateTime()),
    column("by"),
    column("reason"),
    column("note"),
)


def an_appointment(conn) -> tuple[int, int]:
    """A minimal practice with one appointment, written with the tables 0003 shares with
    the models; returns the appointment's and its status's ids."""
    tables, now = Base.metadata.tables, datetime(2026, 12, 1, 8, tzinfo=UTC)

    def insert(into, /, **values):
        """Only the given columns: later revisions add columns (with model defaults) that
        0003 has not got."""
        present = {c["name"] for c in inspect(conn).get_columns(into)}
        old = Table(into, MetaData(), *(c._copy() for c in tables[into].c if c.name in present))
        return conn.execute(old.insert().values(**values)).inserted_primary_key[0]

    practice = insert("practice", slug="alt", name="Altbestand", created_at=now)
    branch = insert("branch", practice_id=practice, name="Mitte")
    resource = insert("resource", practice_id=practice, branch_id=branch, name="Kabine 1")
    kind = insert("appointment_type", practice_id=practice, name="Hörtest", duration_minutes=30)
    status = insert("status", practice_id=practice, name="Neu", kind="start")
    appointment = insert(
        "appointment",
        practice_id=practice,
        branch_id=branch,
        resource_id=resource,
        type_id=kind,
        status_id=status,
        start=now,
        end=now + timedelta(minutes=30),
        source="online",
        language="de",
        created_at=now,
        updated_at=now,
    )
    return appointment, status


def test_upgrade_turns_old_english_notes_into_kinds_keeping_unknown_ones_and_back(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:
            appointment, status = an_appointment(conn)
            at = datetime(2026, 12, 2, 10, tzinfo=UTC)
            for note, reason in OLD_NOTES:
                conn.execute(
                    OLD_HISTORY.insert().values(
                        appointment_id=appointment,
                        from_status_id=status,
                        to_status_id=status,
                        at=at,
                        by="user",
                        reason=reason,
                        note=note,
                    )
                )
        upgrade()
        converted = db.session.scalars(select(StatusChange).order_by(StatusChange.id)).all()
        assert [(c.note_kind, c.note_params, c.reason) for c in converted] == list(
            OLD_NOTES.values()
        )
        db.session.remove()
        downgrade(revision="0003")  # and back: the English sentences return
        with db.engine.connect() as conn:
            restored = conn.execute(select(OLD_HISTORY.c.note, OLD_HISTORY.c.reason)).all()
        assert [note or reason for note, reason in restored] == [n or r for n, r in OLD_NOTES]
        db.engine.dispose()
