"""Where messages go: SMTP through Flask-Mail when MAIL_SERVER is set, else `.eml` files in
MAIL_DIR; SMS to an HTTP gateway or, by default, to files in SMS_DIR. A delivery batch keeps
its connections open across messages (`Connections`)."""

from __future__ import annotations

import http.client
import io
import json
import smtplib
import urllib.error
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection


class Connections:
    """One SMTP connection and one HTTP connection to the SMS gateway, opened on first use
    and kept for every message of a delivery batch: the handshake (TCP, EHLO, STARTTLS,
    login) and QUIT are paid once per batch instead of once per message. A connection that
    failed is dropped and the next message opens a new one, so one broken connection costs
    one attempt, never the rest of the batch."""

    def __init__(self) -> None:
        self._smtp = None
        self._http: http.client.HTTPConnection | None = None

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def send_email(self, message: EmailMessage, *, name: str) -> None:
        """Hand the message to the SMTP server, or write it as `<name>.eml` (embedded
        default)."""
        config = current_app.config
        if not config["MAIL_SERVER"]:
            _write(Path(config["MAIL_DIR"]) / f"{name}.eml", message.as_bytes())
            return
        if self._smtp is None:
            # Flask-Mail's connection settings (TLS, login), without its TESTING suppression:
            # the tests receive the mail with a real SMTP server.
            self._smtp = Connection(current_app.extensions["mail"]).configure_host()
        try:
            self._smtp.send_message(message)
        except Exception:
            self._drop_smtp()
            raise

    def send_sms(self, number: str, text: str, *, name: str) -> None:
        """Post the SMS to the gateway (API key as bearer token, sender id, country code), or
        write it to `<name>.txt` (log provider). Gateway refusals raise urllib's HTTPError."""
        config = current_app.config
        if config["SMS_PROVIDER"] != "http":
            _write(Path(config["SMS_DIR"]) / f"{name}.txt", f"To: {number}\n\n{text}\n".encode())
            return
        payload = {
            "to": number,
            "from": config["SMS_SENDER"],
            "country_code": config["SMS_COUNTRY_CODE"],
            "text": text,
        }
        url = urlsplit(config["SMS_URL"])
        if self._http is None:
            kind = (
                http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
            )
            self._http = kind(url.netloc, timeout=10)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {config['SMS_API_KEY']}",
        }
        path = url.path or "/"
        try:
            self._http.request(
                "POST",
                path + (f"?{url.query}" if url.query else ""),
                body=json.dumps(payload).encode(),
                headers=headers,
            )
            response = self._http.getresponse()
            answer = response.read()
        except Exception:
            self._http.close()
            self._http = None
            raise
        if response.status >= 400:
            raise urllib.error.HTTPError(
                config["SMS_URL"],
                response.status,
                response.reason,
                response.headers,
                io.BytesIO(answer),
            )

    def close(self) -> None:
        self._drop_smtp(quit=True)
        if self._http is not None:
            self._http.close()
            self._http = None

    def _drop_smtp(self, *, quit: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit() if quit else smtp.close()
        except (OSError, smtplib.SMTPException):
            smtp.close()  # the server went away first: nothing to say goodbye to


def send_email(message: EmailMessage, *, name: str) -> None:
    """One message on a connection of its own."""
    with Connections() as connections:
        connections.send_email(message, name=name)


def send_sms(number: str, text: str, *, name: str) -> None:
    """One SMS on a connection of its own (the console's test SMS)."""
    with Connections() as connections:
        connections.send_sms(number, text, name=name)


def sms_error(error: Exception) -> str:
    """What went wrong at the gateway, for staff: status and the start of its answer."""
    if isinstance(error, urllib.error.HTTPError):
        answer = error.read(300).decode("utf-8", "replace").strip()
        return f"HTTP {error.code} {error.reason}" + (f": {answer}" if answer else "")
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _write(path: Path, data: bytes) -> None:
    """Write atomically, so a reader never sees half a message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)
