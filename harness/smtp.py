"""A real SMTP server for tests and benchmarks: aiosmtpd in the calling process, keeping
every message it receives (the oracle for "what did the customer get")."""

from __future__ import annotations

import asyncio
import email
import socket
from email import policy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A real SMTP server in the test process; `refuse` makes it answer 451 (try later),
    `delay` makes each message take that many seconds (a slow relay)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse = False
        self.delay = 0.0
        self.port = free_port()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]
