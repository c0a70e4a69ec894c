"""Lighthouse's accessibility and best-practices scores of the widget's entry, week, form and
done pages (issue 13), with the audits that cost points. Too slow for the test suite.

Lighthouse is not a project dependency: install it where you like, e.g.
`npm install --ignore-scripts --prefix /tmp/lh lighthouse`, and pass its binary.

Command: `.venv/bin/python bench/lighthouse.py --lighthouse /tmp/lh/node_modules/.bin/lighthouse`
(DATABASE_URL names a PostgreSQL database the script drops and recreates.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import ROOT, fresh_demo_database, gunicorn  # noqa: E402
from harness.smtp import free_port  # noqa: E402

FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = ("accessibility", "best-practices")


def pages(base: str, env: dict) -> dict[str, str]:
    """The four pages: the done page of a booking made here (its signed link from the app)."""
    week = f"{base}/w/demo/week?type=1&branch=1"
    html = urllib.request.urlopen(week).read().decode()
    link = re.search(r'href="(book\?[^"]+)"', html).group(1).replace("&amp;", "&")
    form = f"{base}/w/demo/{link}"
    html = urllib.request.urlopen(form).read().decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    data = {
        "token": token,
        "first_name": "Erika",
        "last_name": "Lighthouse",
        "email": "erika.lighthouse@example.org",
        "phone": "030 1234567",
        "consent": "yes",
    }
    request = urllib.request.Request(
        f"{base}/w/demo/book", urllib.parse.urlencode(data).encode(), headers={"Origin": base}
    )
    urllib.request.urlopen(request).read()
    return {"entry": f"{base}/w/demo/", "week": week, "form": form, "done": done_url(env)}


def done_url(env: dict) -> str:
    from sqlalchemy import select

    import links
    from app import create_app
    from core.models import Appointment
    from extensions import db

    keys = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BASE_URL", "APP_ENV")
    with create_app({k: env[k] for k in keys}).app_context():
        booked = db.session.scalar(
            select(Appointment).where(Appointment.req_email == "erika.lighthouse@example.org")
        )
        token = links.customer_token(booked)
        return links.external_url("widget.done", {"slug": "demo", "token": token})


def run(lighthouse: str, url: str) -> dict:
    result = subprocess.run(
        [
            lighthouse,
            url,
            "--output=json",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={FLAGS}",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
    )
    report = json.loads(result.stdout)
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    lost = [
        a["id"]
        for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"]
        if ref["weight"] and (a := report["audits"][ref["id"]])["score"] not in (1, None)
    ]
    return {**scores, "lost": lost, "version": report["lighthouseVersion"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lighthouse", required=True)
    args = parser.parse_args()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgresql+psycopg://root@127.0.0.1:5432/bench_widgetcheck"
        ),
        "SECRET_KEY": "bench-secret",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "APP_ENV": "development",
        "WIDGET_MIN_FILL_SECONDS": "0",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "MAIL_DIR": str(ROOT / "instance" / "bench-mail"),
    }
    fresh_demo_database(env)
    with gunicorn(env, workers=2, port=port) as base:
        for name, url in pages(base, env).items():
            print(name, json.dumps(run(args.lighthouse, url)), flush=True)


if __name__ == "__main__":
    main()
