"""Where a delivered message's milliseconds go: wall-clock timers wrapped around the delivery
path's stages (inclusive times; nested stages are shown indented), plus every SQL statement's
round trip, while a real RQ worker runs the queue in this process. Used by
`bench/outbox.py --profile`; the wrappers live here, never in the product.

Wall-clock timers instead of cProfile: cProfile doubles the cost of small Python calls and
would blame the wrong stage.
"""

from __future__ import annotations

import email.generator
import functools
import importlib
import smtplib
import time
from collections import defaultdict

from sqlalchemy import event

# (label, module, attribute, depth): the stages in the order a message passes them.
STAGES = [
    ("RQ job (whole `perform_job`)", "rq.worker", "Worker.perform_job", 0),
    ("job body (`worker.deliver_notification`)", "worker", "deliver_notification", 1),
    ("one row: lock, checks, send, commit", "core.outbox", "deliver", 2),
    ("skip rules (`skip_reason`)", "core.outbox", "skip_reason", 3),
    ("commit (`Session.commit`)", "sqlalchemy.orm.session", "Session.commit", 3),
    ("compose (`emails.compose`)", "notifications.emails", "compose", 3),
    ("template context (links, tokens)", "notifications.emails", "_context", 4),
    ("templates (Jinja, subject/text/HTML)", "notifications.emails", "_render", 4),
    ("`.ics` (`calendar_file`)", "notifications.emails", "calendar_file", 4),
    ("VTIMEZONE (`ics._vtimezone`)", "core.ics", "_vtimezone", 5),
    ("hand to SMTP (`transport.send_email`)", "notifications.transport", "send_email", 3),
    (
        "hand to SMTP, batched (`Connections.send_email`)",
        "notifications.transport",
        "Connections.send_email",
        3,
    ),
    ("SMTP connect + EHLO", "smtplib", "SMTP.connect", 4),
    ("SMTP EHLO", "smtplib", "SMTP.ehlo", 4),
    ("MIME serialisation (`flatten`)", "email.generator", "BytesGenerator.flatten", 4),
    ("SMTP MAIL/RCPT/DATA (`sendmail`)", "smtplib", "SMTP.sendmail", 4),
    ("SMTP QUIT", "smtplib", "SMTP.quit", 4),
]


class Stages:
    """Install with `install()`, run the work, then `table(messages)`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo: list = []

    def install(self, engine) -> None:
        for label, module, attribute, _ in STAGES:
            owner, name = _resolve(module, attribute)
            if owner is None:
                continue
            original = getattr(owner, name)
            setattr(owner, name, self._timed(label, original))
            self._undo.append((owner, name, original))
        event.listen(engine, "before_cursor_execute", self._sql_start)
        event.listen(engine, "after_cursor_execute", self._sql_end)
        self._engine = engine
        assert email.generator and smtplib  # imported so their classes can be wrapped

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        event.remove(self._engine, "before_cursor_execute", self._sql_start)
        event.remove(self._engine, "after_cursor_execute", self._sql_end)

    def _timed(self, label: str, original):
        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed

    def _sql_start(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _sql_end(self, conn, cursor, statement, parameters, context, executemany):
        self.seconds["SQL"] += time.perf_counter() - conn.info.pop("bench_started")
        self.calls["SQL"] += 1

    def table(self, messages: int, wall: float) -> str:
        lines = [
            "| stage | ms per message | calls per message |",
            "|---|---|---|",
            f"| **wall time per message** (one in-process worker) "
            f"| **{wall / messages * 1e3:.2f}** | |",
        ]
        for label, _, _, depth in STAGES:
            if self.calls.get(label):
                lines.append(self._line(label, depth, messages))
        lines.append(self._line("SQL", 0, messages, "SQL statements (round trips incl. commit)"))
        return "\n".join(lines)

    def _line(self, key: str, depth: int, messages: int, label: str | None = None) -> str:
        indent = "&nbsp;&nbsp;" * depth
        ms = self.seconds.get(key, 0.0) / messages * 1e3
        calls = self.calls.get(key, 0) / messages
        return f"| {indent}{label or key} | {ms:.2f} | {calls:.2f} |"


def _resolve(module: str, attribute: str):
    """The object holding `attribute` ("Class.method" or "function"), or (None, None)."""
    try:
        owner = importlib.import_module(module)
    except ImportError:
        return None, None
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    if owner is None or not hasattr(owner, name):
        return None, None
    return owner, name
