"""Load test: 50 simulated customers booking for 60 s against gunicorn on PostgreSQL.

    .venv/bin/python bench/load_booking.py [--customers 50] [--seconds 60]

Each customer loops: open a week page (one of the next weeks, a random kind of appointment),
pick a random free time, open the form, submit it. Afterwards the database is checked for
double bookings (two active appointments of one resource overlapping). Appends requests/s,
p50/p99 and the error counts to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from _server import OVERLAPS, fresh_demo_database, fresh_redis, gunicorn
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
URL = "postgresql+psycopg://root@127.0.0.1:5432/bench_load"
TYPES = [(1, 1), (2, 1), (3, 1), (4, 2)]  # (type, branch) of the demo practice


def request(url: str, data: dict | None = None, origin: str | None = None):
    body = urllib.parse.urlencode(data).encode() if data else None
    req = urllib.request.Request(url, data=body, headers={"Origin": origin} if origin else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            page, status = response.read().decode(), response.status
    except urllib.error.HTTPError as error:
        page, status = error.read().decode(), error.code
    return status, page, time.perf_counter() - started


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.outcomes: Counter[str] = Counter()

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1


def customer(base: str, n: int, deadline: float, stats: Stats) -> None:
    rng = random.Random(n)
    i = 0
    while time.monotonic() < deadline:
        i += 1
        kind, branch = rng.choice(TYPES)
        status, page, took = request(f"{base}/w/demo/week?type={kind}&branch={branch}")
        stats.add(status, took)
        links = re.findall(r'href="(book\?[^"]+)"', page)
        if not links:
            continue
        status, page, took = request(f"{base}/w/demo/" + rng.choice(links).replace("&amp;", "&"))
        stats.add(status, took)
        token = re.search(r'name="token" value="([^"]+)"', page)
        if status == 409 or token is None:  # taken between the week page and the form
            stats.outcomes["slot gone before the form"] += 1
            continue
        status, page, took = request(
            f"{base}/w/demo/book",
            {
                "token": token.group(1),
                "first_name": "Last",
                "last_name": f"Kunde{n}",
                "email": f"k{n}-{i}@example.org",
                "phone": f"+49151{n:03d}{i:05d}",
                "consent": "yes",
            },
            origin=base,
        )
        stats.add(status, took)
        booked = status == 200 and "Termin.ics" in page  # the done page offers the .ics
        stats.outcomes["booked" if booked else f"status {status}"] += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="emptied first")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": URL,
        "SECRET_KEY": "bench",
        "DEMO_ADMIN_PASSWORD": "b",
        "WIDGET_MIN_FILL_SECONDS": "0",
        "BOOKING_LIMIT_PER_IP": "1000000",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": args.redis,
    }
    fresh_redis(args.redis)
    fresh_demo_database(env)
    load = Path("/proc/loadavg").read_text().split()[0]
    with gunicorn(env, port=5098) as base:
        stats = Stats()
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=customer, args=(base, n, deadline, stats))
            for n in range(args.customers)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    engine = create_engine(URL)
    with engine.connect() as conn:
        doubles = conn.execute(text(OVERLAPS)).scalar()
        booked = conn.execute(
            text("SELECT count(*) FROM appointment WHERE req_first_name = 'Last'")
        ).scalar()
    engine.dispose()
    lat = sorted(stats.latencies)
    total = len(lat)

    def p(q: float) -> float:
        return lat[min(total - 1, int(q * total))] * 1000

    errors5 = sum(c for s, c in stats.statuses.items() if s >= 500)
    report = f"""
## Load: {args.customers} customers booking for {args.seconds} s \
({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)

Machine: {os.cpu_count()} cores shared with other sessions (load average at the start:
{load}), Python {platform.python_version()}; gunicorn with deploy/gunicorn.conf.py (the
production settings: 2 × cores + 1 workers, 2 threads each) on PostgreSQL and Redis, the
simulated customers (Python threads, no pause between steps) on the same machine.

Command: `.venv/bin/python bench/load_booking.py --customers {args.customers} \
--seconds {args.seconds}`

- {total} requests in {elapsed:.1f} s: **{total / elapsed:.1f} requests/s**, p50
  {p(0.5):.0f} ms, **p99 {p(0.99):.0f} ms**
- status codes: {dict(sorted(stats.statuses.items()))}; **5xx: {errors5}**
- outcomes of the submitted forms: {dict(stats.outcomes)}
- appointments booked: {booked}; **double bookings (overlapping active appointments of one
  resource): {doubles}**
"""
    with open(ROOT / "bench" / "RESULTS.md", "a") as results:
        results.write(report)
    print(report)


if __name__ == "__main__":
    main()
