"""What the customers of bench/morning.py got, for a person to read: every message at the SMTP
sink as an .eml file, and a summary (recipient, when it arrived, subject, language, the times
the text names beside the `Termin.ics` start in Europe/Berlin, each link and what it answers).

Checks what must hold whoever reads it: the undone cancellation sent nothing, every link
answers 200 (GET only shows, so following it changes nothing), and the text names the time
the calendar file holds."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

BERLIN = ZoneInfo("Europe/Berlin")
ENGLISH_CUSTOMERS = ("emily.clarke", "oliver.smith", "grace.taylor", "jack.brown")
UNDONE_CANCELLATION = "hannah.wolf@example.org"


def body(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def ics_start(message) -> datetime | None:
    for part in message.iter_attachments():
        if part.get_filename() == "Termin.ics":
            calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            for event in calendar.walk("VEVENT"):
                return event.decoded("DTSTART").astimezone(BERLIN)
    return None


def clock_times(text: str) -> list[str]:
    """Every time of day the text names, as HH:MM ("3:15 PM" in English is 15:15)."""
    times = []
    for hour, minute, half in re.findall(r"\b(\d{1,2})[:.](\d\d)(?:\s?([AP]M))?\b", text):
        hour = int(hour) % 12 + (12 if half == "PM" else 0) if half else int(hour)
        times.append(f"{hour:02d}:{minute}")
    return times


def language(text: str) -> str:
    german = len(re.findall(r"\b(Ihr|Sie|Termin|und|der|die)\b", text))
    english = len(re.findall(r"\b(your|you|appointment|and|the)\b", text))
    return "de" if german > english else "en"


def link_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def report(sink, folder: Path, base: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    lines, problems = [], []
    for number, message in enumerate(sink.messages, 1):
        to = str(message["To"])
        text = body(message)
        (folder / f"{number:02d}-{to.split('@')[0]}.eml").write_bytes(message.as_bytes())
        start = ics_start(message)
        said = sorted(set(clock_times(text)))
        lang = language(text)
        lines += [
            f"{number:02d} {message['Date']} to {to} [{lang}] {message['Subject']}",
            f"   ics: {start:%a %d.%m.%Y %H:%M %Z}" if start else "   ics: –",
            f"   times in the text: {', '.join(said) or '–'}",
        ]
        if start and f"{start:%H:%M}" not in said:
            problems.append(f"{number:02d}: the text does not name the .ics time {start:%H:%M}")
        expected = "en" if to.startswith(ENGLISH_CUSTOMERS) else "de"
        if "@demo.example" not in to and lang != expected:
            problems.append(f"{number:02d}: {to} got {lang}, booked in {expected}")
        for url in sorted(set(re.findall(re.escape(base) + r"[^\s>\"')]+", text))):
            status = link_status(url)
            lines.append(f"   {status} {url.removeprefix(base)}")
            if status != 200:
                problems.append(f"{number:02d}: {url} answered {status}")
    cancelled = [m for m in sink.to(UNDONE_CANCELLATION) if "abgesagt" in str(m["Subject"]).lower()]
    if cancelled:
        problems.append(f"{UNDONE_CANCELLATION} got a cancellation that was undone")
    lines += ["", f"{len(sink.messages)} messages; problems: {len(problems)}", *problems]
    (folder / "summary.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-len(problems) - 1 :]))
    print(f"mail summary: {folder / 'summary.txt'}")
