"""The hourly reminder scan over a large appointment table on PostgreSQL: wall time and memory
as the table grows. Target (issue #7): at most 2 s for 100,000 appointments, memory flat.

    .venv/bin/python bench/reminder_scan.py [--sizes 25000 50000 100000 200000] [--record]

Each size gets a fresh schema in BENCH_DATABASE_URL (created if missing; its schema is
dropped!) with the demo practice, reminders on, and that many confirmed, customer-linked
appointments spread evenly over a year around the scan (about 1 in 365 starts the next day).
A dense case puts 10,000 of 100,000 on the next day. Per case it times the first scan (it
writes the reminder rows) and a second one (writes nothing), then measures the peak Python
allocation (tracemalloc) of a scan that writes everything again. `--record` appends the
table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, make_url, or_, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import demo, outbox, reminders  # noqa: E402
from core.models import (  # noqa: E402
    Appointment,
    Base,
    Channel,
    Customer,
    Notification,
    Source,
    StatusKind,
)

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/bench_reminders"
)
# Monday 23 November 2026, 18:00 in Berlin: the evening scan before Tuesday's appointments.
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
CUSTOMERS = 5000
CHUNK = 10_000
DEFAULT_SIZES = [25_000, 50_000, 100_000, 200_000]


def fresh_engine():
    """An engine on an empty schema (the database is created when it does not exist)."""
    url = make_url(DATABASE_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
        ):
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    return engine


def seed(engine, size: int, dense: int) -> int:
    """The demo practice plus `size` appointments; returns how many start the next day."""
    with Session(engine) as session:
        practice, _ = demo.seed(session, now=NOW, admin_password_hash="x")
        practice.reminders_enabled = True
        kind = next(
            t for t in practice.appointment_types if t.reminders_allowed and t.capacity == 1
        )
        confirmed = next(s for s in practice.statuses if s.kind is StatusKind.CONFIRMED)
        ids = dict(practice=practice.id, type=kind.id, status=confirmed.id)
        resource_ = kind.resources[0]
        ids.update(resource=resource_.id, branch=resource_.branch_id)
        session.commit()
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {
                    "practice_id": ids["practice"],
                    "last_name": f"Kunde {i}",
                    "email": f"k{i}@example.org",
                    "phone": f"+49151{i:08d}",
                    "preferred_channel": Channel.SMS if i % 2 else Channel.EMAIL,
                    "created_at": NOW,
                }
                for i in range(CUSTOMERS)
            ],
        )
        first_customer = conn.scalar(select(Customer.id).order_by(Customer.id))
    tomorrow = NOW + timedelta(hours=16)  # Tuesday 10:00 in Berlin
    year_start = NOW - timedelta(days=182)
    for offset in range(0, size, CHUNK):
        rows = []
        for i in range(offset, min(size, offset + CHUNK)):
            if i < dense:
                start = tomorrow + timedelta(seconds=i)
            else:
                start = year_start + timedelta(minutes=i * 525_600 // size)
            rows.append(
                {
                    "practice_id": ids["practice"],
                    "branch_id": ids["branch"],
                    "resource_id": ids["resource"],
                    "type_id": ids["type"],
                    "status_id": ids["status"],
                    "customer_id": first_customer + i % CUSTOMERS,
                    "start": start,
                    "end": start + timedelta(minutes=30),
                    "busy_start": start,
                    "busy_end": start + timedelta(minutes=30),
                    "holds_slot": False,  # they overlap each other and the demo's on purpose
                    "source": Source.STAFF,
                    "language": "de",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(Appointment), rows)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        due = conn.scalar(
            select(text("count(*)"))
            .select_from(Appointment)
            .where(
                Appointment.start >= NOW + timedelta(hours=6),  # Tuesday 00:00 in Berlin
                Appointment.start < NOW + timedelta(days=1, hours=6),
                # linked customers, and online bookings by the email they booked with
                or_(Appointment.customer_id.is_not(None), Appointment.source == Source.ONLINE),
            )
        )
    return due


def timed_scan(engine) -> tuple[float, int]:
    with Session(engine) as session:
        started = time.perf_counter()
        written = reminders.scan(session, NOW)
        return time.perf_counter() - started, written


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def traced_scan(engine) -> float:
    """Peak MiB Python allocated during a scan that writes every reminder again."""
    with engine.begin() as conn:
        conn.execute(delete(Notification).where(Notification.kind == outbox.Kind.REMINDER))
    tracemalloc.start()
    timed_scan(engine)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def run(size: int, dense: int = 0) -> dict:
    engine = fresh_engine()
    due = seed(engine, size, dense)
    first, written = timed_scan(engine)
    second, again = timed_scan(engine)
    if (written, again) != (due, 0):
        raise SystemExit(f"expected {due} reminders then none, got {written} then {again}")
    peak = traced_scan(engine)
    engine.dispose()
    return {
        "size": size,
        "due": due,
        "written": written,
        "first": first,
        "second": second,
        "again": again,
        "peak": peak,
        "rss": rss_mib(),
        "dense": dense,
    }


def table(results: list[dict]) -> str:
    lines = [
        "| appointments | next-day | rows written | first scan | second scan"
        " | peak Python alloc | max RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        label = f"{r['size']:,}" + (" (dense)" if r["dense"] else "")
        lines.append(
            f"| {label} | {r['due']:,} | {r['written']:,} | {r['first']:.2f} s | "
            f"{r['second']:.2f} s (wrote {r['again']}) | {r['peak']:.1f} MiB | {r['rss']:.0f} MiB |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        pg = conn.scalar(text("SHOW server_version"))
    engine.dispose()
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), Python {python}, PostgreSQL {pg} on the same machine"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=DEFAULT_SIZES,
        help="table sizes (none: only the dense case)",
    )
    parser.add_argument("--dense", type=int, default=10_000, help="next-day rows of the dense case")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    results = [run(size) for size in args.sizes]
    if args.dense:
        results.append(run(100_000, args.dense))
    report = table(results)
    print(report)
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        sizes = " ".join(str(n) for n in args.sizes) if args.sizes != DEFAULT_SIZES else None
        options = "" if sizes is None else f" --sizes {sizes}".rstrip()
        command = f"`.venv/bin/python bench/reminder_scan.py{options} --record`"
        section = (
            f"\n\n## Reminder scan ({stamp})\n\nMachine: {machine()}.\n\nCommand: {command}\n\n"
            f"{report}\n"
        )
        with open(ROOT / "bench" / "RESULTS.md", "a") as results_file:
            results_file.write(section)


if __name__ == "__main__":
    main()
