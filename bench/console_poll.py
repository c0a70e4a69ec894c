"""Benchmark: the console's unchanged inbox poll (304) against `/healthz`, interleaved, under
gunicorn's production settings on PostgreSQL, with a practice that has a long history.

    .venv/bin/python bench/console_poll.py [--pairs 3] [--seconds 10] [--history 20000]

Builds a fresh database `bench_poll` with the demo practice and `--history` past (cancelled)
appointments, empties the Redis database `--redis` names, logs in as the demo admin, takes
one htmx poll of `/console/inbox` for its ETag, checks that the same poll answers 304, then
runs rounds of wrk: `/healthz`, the poll with that cookie and ETag. Each ratio is the
poll's requests/s over the same round's `/healthz`; median and spread go to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _server import fresh_demo_database, fresh_redis, gunicorn, insert_appointments
from _wrk import load_average, row, spread, wrk
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
URL = "postgresql+psycopg://root@127.0.0.1:5432/bench_poll"
PASSWORD = "bench-poll"


def seed(env: dict, history: int) -> None:
    """The demo practice and `history` cancelled appointments over the past years."""
    fresh_demo_database(env)
    engine = create_engine(URL)
    with engine.begin() as conn:
        resource, branch = conn.execute(text("SELECT id, branch_id FROM resource LIMIT 1")).one()
        type_id = conn.execute(text("SELECT id FROM appointment_type LIMIT 1")).scalar()
        status = conn.execute(text("SELECT id FROM status WHERE kind='cancelled'")).scalar()
        first = datetime.now(UTC) - timedelta(days=30)
        rows = [
            {"r": resource, "b": branch, "t": type_id, "s": status, "holds": False}
            | {"start": first - timedelta(hours=n), "end": first - timedelta(hours=n - 0.5)}
            for n in range(history)
        ]
        insert_appointments(conn, rows)
    engine.dispose()


def logged_in_poll(base: str) -> tuple[str, str]:
    """(Cookie header, ETag) of a logged-in admin's first inbox poll; checks the second is 304."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(base + "/console/login").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    form = {"csrf_token": csrf, "email": "admin@demo.example", "password": PASSWORD}
    opener.open(base + "/console/login", urllib.parse.urlencode(form).encode())
    poll = urllib.request.Request(base + "/console/inbox", headers={"HX-Request": "true"})
    etag = opener.open(poll).headers["ETag"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    again = urllib.request.Request(
        base + "/console/inbox",
        headers={"HX-Request": "true", "If-None-Match": etag, "Cookie": cookie},
    )
    try:
        status = urllib.request.urlopen(again).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 304:
        raise SystemExit(f"an unchanged poll answered {status}, not 304")
    return cookie, etag


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--history", type=int, default=20000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="emptied first")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": URL,
        "REDIS_URL": args.redis,
        "SECRET_KEY": "bench",
        "APP_ENV": "development",
        "DEMO_ADMIN_PASSWORD": PASSWORD,
        "LOG_LEVEL": "WARNING",
    }
    fresh_redis(args.redis)
    seed(env, args.history)
    runs: dict[str, list[dict]] = {"healthz": [], "poll": []}
    loads = []
    with gunicorn(env, port=5096, recycle=False) as base:
        cookie, etag = logged_in_poll(base)
        headers = (f"Cookie: {cookie}", "HX-Request: true", f"If-None-Match: {etag}")
        inbox = base + "/console/inbox"
        wrk(inbox, 3, args.connections, headers)  # warm up every worker
        for _ in range(args.pairs):
            loads.append(load_average())
            runs["healthz"].append(wrk(base + "/healthz", args.seconds, args.connections))
            runs["poll"].append(
                wrk(base + "/console/inbox", args.seconds, args.connections, headers)
            )
    ratios = [p["rps"] / h["rps"] for p, h in zip(runs["poll"], runs["healthz"], strict=True)]
    report = f"""
## Console poll (304) vs. `/healthz`, interleaved ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)

Machine: {os.cpu_count()} cores shared with other sessions (load average before each round:
{", ".join(loads)}), Python {platform.python_version()}; PostgreSQL and Redis local;
gunicorn with deploy/gunicorn.conf.py (production, no worker recycling during the runs);
wrk 2 threads, {args.connections} connections, {args.seconds} s per run; each round runs
`/healthz`, then the poll.

Command: `.venv/bin/python bench/console_poll.py --pairs {args.pairs} --seconds {args.seconds} \
--history {args.history}`

Data: the demo practice with {args.history:,} past appointments. The poll: `GET /console/inbox`
with `HX-Request`, the logged-in admin's session cookie and the ETag of its last answer: 304,
from the signed session and one Redis read (no SQL: tests/web/test_scale_paths.py counts).

| route | requests/s per round | worst p99 | not 2xx/3xx | wrk timeouts (2 s) |
|---|---|---|---|---|
{row("`/healthz`", runs["healthz"])}
{row("inbox poll, 304", runs["poll"])}

The unchanged poll: **{spread(ratios)}** of `/healthz` (goal ≥ 80 %).
"""
    with open(ROOT / "bench" / "RESULTS.md", "a") as results:
        results.write(report)
    print(report)


if __name__ == "__main__":
    main()
