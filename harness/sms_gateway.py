"""An HTTP SMS gateway in the calling process, recording what it is sent."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler


class Gateway(BaseHTTPRequestHandler):
    """Records each SMS it is sent and gives `answer` (status, body): 200 unless a test
    makes it refuse."""

    received: list = []
    answer: tuple[int, bytes] = (200, b'{"ok": true}')

    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Authorization"], json.loads(body)))
        status, reply = self.answer
        self.send_response(status)
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass
