"""Where messages go: SMTP through Flask-Mail when MAIL_SERVER is set, else `.eml` files in
MAIL_DIR; SMS to an HTTP gateway or, by default, to files in SMS_DIR."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_mail import Connection


def send_email(message: EmailMessage, *, name: str) -> None:
    """Hand the message to the SMTP server, or write it as `<name>.eml` (embedded default)."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        # Flask-Mail's connection settings (TLS, login), without its TESTING suppression:
        # the tests receive the mail with a real SMTP server.
        host = Connection(current_app.extensions["mail"]).configure_host()
        try:
            host.send_message(message)
        finally:
            host.quit()
        return
    _write(Path(config["MAIL_DIR"]) / f"{name}.eml", message.as_bytes())


def send_sms(number: str, text: str, *, name: str) -> None:
    """Post the SMS to the gateway (API key as bearer token, sender id, country code), or
    write it to `<name>.txt` (log provider). Gateway refusals raise urllib's HTTPError."""
    config = current_app.config
    if config["SMS_PROVIDER"] == "http":
        payload = {
            "to": number,
            "from": config["SMS_SENDER"],
            "country_code": config["SMS_COUNTRY_CODE"],
            "text": text,
        }
        body = json.dumps(payload).encode()
        request = urllib.request.Request(
            config["SMS_URL"],
            data=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {config['SMS_API_KEY']}",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        return
    _write(Path(config["SMS_DIR"]) / f"{name}.txt", f"To: {number}\n\n{text}\n".encode())


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
