"""Benchmark: the widget's week page, warm (a cache hit) and cold (a miss), against
`/healthz`, interleaved, under gunicorn's production settings on PostgreSQL.

    .venv/bin/python bench/week_page.py [--pairs 3] [--seconds 10] [--redis URL]

Builds a fresh database `bench_week` with the demo practice and 2,000 appointments in the
shown month on its 3 resources, empties the Redis database `--redis` names, and runs rounds
of wrk: `/healthz`, the warm page, the cold page. Each ratio is a page's requests/s over the
same round's `/healthz`; the median and the spread go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import urllib.request
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from _server import OVERLAPS, fresh_demo_database, fresh_redis, gunicorn, insert_appointments
from _wrk import UNIQUE, load_average, row, spread, wrk
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
URL = "postgresql+psycopg://root@127.0.0.1:5432/bench_week"


def seed(env: dict) -> date:
    """A fresh database: the demo practice and 2,000 appointments in four weeks from Monday,
    none overlapping an appointment the demo already holds (checked afterwards)."""
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
        held = conn.execute(text("SELECT resource_id, busy_start, busy_end FROM appointment")).all()
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
                        end = start + timedelta(minutes=15)
                        if any(r == resource_id and s < end and start < e for r, s, e in held):
                            continue  # the demo's own appointment holds this time
                        rows.append(
                            {"r": resource_id, "b": branch_id, "t": type_id, "s": status}
                            | {"start": start, "end": end, "holds": True}
                        )
            day += timedelta(days=1)
        insert_appointments(conn, rows[:2000])
        overlaps = conn.execute(text(OVERLAPS)).scalar()
    engine.dispose()
    if overlaps:
        raise SystemExit(f"the seed overlaps {overlaps} appointments: fix it before measuring")
    return monday


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="emptied first")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": URL,
        "REDIS_URL": args.redis,
        "SECRET_KEY": "bench",
        "APP_ENV": "development",
        "DEMO_ADMIN_PASSWORD": "bench",
        "LOG_LEVEL": "WARNING",
    }
    fresh_redis(args.redis)
    monday = seed(env)
    runs: dict[str, list[dict]] = {"healthz": [], "warm": [], "cold": []}
    loads = []
    with gunicorn(env, port=5099, recycle=False) as base:
        week = f"{base}/w/demo/week?type=3&branch=1&week={monday.isoformat()}"
        size = len(urllib.request.urlopen(week).read())
        wrk(week, 3, args.connections)  # warm up every worker
        for _ in range(args.pairs):
            loads.append(load_average())
            runs["healthz"].append(wrk(base + "/healthz", args.seconds, args.connections))
            runs["warm"].append(wrk(week, args.seconds, args.connections))
            runs["cold"].append(wrk(week, args.seconds, args.connections, script=UNIQUE))
            fresh_redis(args.redis)  # the cold run's pages: a few MB each time
    warm = [w["rps"] / h["rps"] for w, h in zip(runs["warm"], runs["healthz"], strict=True)]
    cold = [c["rps"] / h["rps"] for c, h in zip(runs["cold"], runs["healthz"], strict=True)]
    report = f"""
## Week page vs. `/healthz`, interleaved ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)

Machine: {os.cpu_count()} cores shared with other sessions (load average before each round:
{", ".join(loads)}), Python {platform.python_version()}; PostgreSQL and Redis local;
gunicorn with deploy/gunicorn.conf.py (production: 2 × cores + 1 workers, 2 threads; no
worker recycling during the runs); wrk
2 threads, {args.connections} connections, {args.seconds} s per run; each round runs
`/healthz`, the warm page, the cold page.

Command: `.venv/bin/python bench/week_page.py --pairs {args.pairs} --seconds {args.seconds}`

Data: the demo practice, 3 resources, 2,000 appointments in the four weeks from next Monday
(none overlapping the demo's own), `{week.replace(base, "")}`, a {size:,}-byte page. Warm:
that URL again and again (a Redis hit). Cold: each request a URL of its own (an unused
`&n=` parameter), so each is a miss: bookings, absences and closing days from PostgreSQL
(the practice's settings held per process), the grid computed, rendered, stored.

| route | requests/s per round | worst p99 | not 2xx/3xx | wrk timeouts (2 s) |
|---|---|---|---|---|
{row("`/healthz`", runs["healthz"])}
{row("week page, warm", runs["warm"])}
{row("week page, cold", runs["cold"])}

Warm: **{spread(warm)}** of `/healthz` (goal ≥ 50 %). Cold: **{spread(cold)}** (goal ≥ 12 %).
"""
    with open(ROOT / "bench" / "RESULTS.md", "a") as results:
        results.write(report)
    print(report)


if __name__ == "__main__":
    main()
