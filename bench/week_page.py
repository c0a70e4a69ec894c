"""Benchmark: the widget's week page against a trivial route, both under gunicorn on PostgreSQL.

    .venv/bin/python bench/week_page.py [--duration 15] [--connections 16]

Builds a fresh database `bench_week` with the demo practice and 2,000 appointments in the
shown month on its 3 resources, serves the app with gunicorn (2 workers, one per core), and
loads `/w/demo/week` and `/healthz` with wrk. Appends the numbers to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from _server import fresh_demo_database, gunicorn
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
URL = "postgresql+psycopg://root@127.0.0.1:5432/bench_week"


def seed(env: dict) -> date:
    """A fresh database: the demo practice and 2,000 appointments in four weeks from Monday."""
    fresh_demo_database(env)
    tz = ZoneInfo("Europe/Berlin")
    today = datetime.now(tz).date()
    monday = today + timedelta(days=7 - today.weekday())
    engine = create_engine(URL)
    with engine.begin() as conn:
        resources = conn.execute(text("SELECT id, branch_id FROM resource ORDER BY id")).all()
        kind = conn.execute(text("SELECT id FROM appointment_type WHERE name='Batteriewechsel'"))
        type_id = kind.scalar()
        status = conn.execute(text("SELECT id FROM status WHERE kind='confirmed'")).scalar()
        rows, day = [], monday
        while len(rows) < 2000:
            if day.weekday() < 5:
                for minute in range(9 * 60, 18 * 60, 15):
                    for resource_id, branch_id in resources:
                        if minute % 45 == 0 and resource_id % 2:  # leave some gaps
                            continue
                        start = datetime.combine(
                            day, dtime(minute // 60, minute % 60), tzinfo=tz
                        ).astimezone(UTC)
                        rows.append(
                            {
                                "r": resource_id,
                                "b": branch_id,
                                "t": type_id,
                                "s": status,
                                "start": start,
                                "end": start + timedelta(minutes=15),
                            }
                        )
            day += timedelta(days=1)
        conn.execute(
            text(
                "INSERT INTO appointment (practice_id, branch_id, resource_id, type_id, status_id, "
                'start, "end", source, attendees, req_salutation, req_first_name, req_last_name, '
                "req_email, req_phone, req_message, ics_uid, ics_sequence, blocked, created_at, "
                "updated_at) VALUES (1, :b, :r, :t, :s, :start, :end, 'online', 1, '', 'Bench', "
                "'Mark', 'b@example.org', '+4915100000000', '', gen_random_uuid()::text, 0, false, "
                "now(), now())"
            ),
            rows[:2000],
        )
    engine.dispose()
    return monday


def wrk(url: str, duration: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": rps,
        "p50": pct(50),
        "p99": pct(99),
        "errors": int(errors.group(1)) if errors else 0,
    }


def row(name: str, r: dict) -> str:
    return f"| {name} | {r['rps']:.1f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['errors']} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": URL,
        "SECRET_KEY": "bench",
        "APP_ENV": "development",
        "DEMO_ADMIN_PASSWORD": "bench",
        "LOG_LEVEL": "WARNING",
    }
    monday = seed(env)
    with gunicorn(env, workers=2, port=5099) as base:
        week = f"{base}/w/demo/week?type=3&branch=1&week={monday.isoformat()}"
        size = len(urllib.request.urlopen(week).read())
        wrk(week, 3, args.connections)  # warm up
        week_result = wrk(week, args.duration, args.connections)
        trivial = wrk(base + "/healthz", args.duration, args.connections)
    ratio = week_result["rps"] / trivial["rps"]
    verdict = "meets" if ratio >= 0.5 else "falls short of"
    report = f"""
## Week page vs. trivial route ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)

Machine: {os.cpu_count()} cores, Debian, Python {platform.python_version()}; PostgreSQL 15 and
gunicorn (2 sync workers) on the same machine; wrk with 2 threads, {args.connections}
connections, {args.duration} s per route after a 3 s warm-up.

Command: `.venv/bin/python bench/week_page.py --duration {args.duration} \
--connections {args.connections}`

Data: the demo practice, 3 resources, 2,000 appointments in the four weeks shown
(`{week.replace(base, "")}`, a {size:,}-byte page).

| route | requests/s | p50 | p99 | non-2xx |
|---|---|---|---|---|
{row("week page", week_result)}
{row("`/healthz` (trivial)", trivial)}

Week page throughput is **{ratio:.0%}** of the trivial route's: it {verdict} the target (≥ 50 %).
"""
    with open(ROOT / "bench" / "RESULTS.md", "a") as results:
        results.write(report)
    print(report)


if __name__ == "__main__":
    main()
