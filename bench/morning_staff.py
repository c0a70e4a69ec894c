"""The front desk's morning in Chromium (JavaScript on), for bench/morning.py: each step as a
person does it (labels and buttons by their German names, the keyboard in the planner) and a
full-page screenshot after it, numbered in order, for a person to look at."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ADMIN = "admin@demo.example"


class Desk:
    """One staff member's browser tab and the screenshots it takes."""

    def __init__(self, page: Page, base: str, shots: Path) -> None:
        self.page, self.base, self.shots, self.step = page, base, shots, 0

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=True)

    def go(self, path: str, name: str | None = None) -> None:
        self.page.goto(self.base + path)
        if name:
            self.shot(name)

    def open_request(self, who: str) -> str:
        """Open the request of `who` from the inbox, or once processed from the processed
        list's search; returns the appointment page's URL."""
        self.go("/console/inbox")
        row = self.page.locator("#inbox tr", has_text=who)
        if not row.count():
            self.go("/console/processed?q=" + who.replace(" ", "+"))
            row = self.page.locator("table.list tbody tr", has_text=who.split()[1])
        row.get_by_role("link").first.click()
        expect(self.page).to_have_url(re.compile(r"/console/appointments/\d+$"))
        return self.page.url

    def set_status(self, status: str, reason: str = "") -> None:
        self.page.get_by_role("radio", name=re.compile(rf"^\s*{status}\b")).check()
        if reason:
            self.page.get_by_label("Grund").fill(reason)
        self.page.get_by_role("button", name="Status speichern").click()


def log_in(desk: Desk, password: str) -> None:
    desk.go("/console/login", "login")
    desk.page.get_by_label("E-Mail").fill(ADMIN)
    desk.page.get_by_label("Passwort").fill(password)
    desk.page.get_by_role("button", name="Anmelden").click()
    expect(desk.page).to_have_title(re.compile(r"Neue Online-Anfragen"))
    count = desk.page.locator("#nav-count .count").inner_text()
    print(f"inbox after login: {count.split()[0]} waiting; title {desk.page.title()!r}")
    desk.shot("inbox")


def link_existing(desk: Desk) -> None:
    """Max Brief booked as he is stored; Erika Mobil with a new email: staff take the typed one."""
    desk.open_request("Max Brief")
    desk.shot("request-suggestion")
    desk.page.get_by_role("button", name="Diesen Kunden zuordnen").first.click()
    desk.shot("linked-max-brief")
    desk.open_request("Erika Mobil")
    desk.shot("request-contact-differs")
    desk.page.get_by_label(re.compile("erika.neu@example.org")).check()
    desk.page.get_by_role("button", name="Diesen Kunden zuordnen").first.click()
    desk.set_status("Bestätigt")
    desk.shot("erika-confirmed-undo-bar")


def create_customers(desk: Desk) -> None:
    for who in ("Jonas Krüger", "Marie Hoffmann", "Emily Clarke", "Sophie Lange"):
        desk.open_request(who)
        desk.page.get_by_role("button", name="Kunden aus der Anfrage anlegen").click()
    desk.shot("created-sophie-lange")
    desk.open_request("Lea Schulz")
    desk.page.get_by_role("button", name="Kunden aus der Anfrage anlegen").click()
    desk.set_status("Bestätigt")


def confirm_some(desk: Desk) -> None:
    """The approval requests of Marie Hoffmann and Emily Clarke (English) are confirmed."""
    for who in ("Marie Hoffmann", "Emily Clarke"):
        desk.open_request(who)
        desk.set_status("Bestätigt")
    desk.shot("emily-confirmed")


def cancel_and_undo(desk: Desk) -> None:
    """Hannah Wolf's cancellation is undone inside the window; Lukas Becker's is kept."""
    for who, undo in (("Hannah Wolf", True), ("Lukas Becker", False)):
        desk.open_request(who)
        desk.set_status("Abgesagt", "Die Akustikerin ist heute erkrankt.")
        expect(
            desk.page.get_by_role("heading", name="Diesen Termin wirklich absagen?")
        ).to_be_visible()
        desk.shot(f"cancel-confirm-step-{who.split()[1].lower()}")
        desk.page.get_by_role("button", name="Ja, Termin absagen").click()
        expect(desk.page.get_by_role("button", name="Rückgängig")).to_be_visible()
        desk.shot(f"cancelled-{who.split()[1].lower()}")
        if undo:
            desk.page.get_by_role("button", name="Rückgängig").click()
            expect(desk.page.locator("p.notice")).to_contain_text("rückgängig")
            desk.shot("cancellation-undone")


def move_one(desk: Desk) -> None:
    """Sophie Lange (Hörtest, Spandau) comes a week later at the same time."""
    desk.open_request("Sophie Lange")
    day = date.fromisoformat(desk.page.locator("#move-date").input_value()) + timedelta(days=7)
    desk.page.locator("#move-date").fill(day.isoformat())
    desk.page.get_by_role("button", name="Verschieben").click()
    desk.shot("moved-sophie-lange")


def please_confirm(desk: Desk) -> None:
    desk.open_request("Jonas Krüger")
    desk.page.get_by_role("link", name=re.compile("Kunden um Bestätigung bitten")).click()
    desk.shot("please-confirm-form")
    desk.page.get_by_role("button", name="E-Mail-Vorschau anzeigen").click()
    desk.shot("please-confirm-preview")
    desk.page.get_by_role("button", name="Senden").click()
    desk.shot("please-confirm-scheduled")


def search_processed(desk: Desk) -> None:
    desk.go("/console/processed")
    desk.page.get_by_label("Name, E-Mail oder Telefon").fill("0170 1234 5670")
    desk.page.get_by_role("button", name="Suchen").click()
    expect(desk.page.locator("table.list tbody")).to_contain_text("Brief")
    desk.shot("processed-search-phone")


def planner(desk: Desk) -> None:
    """The day of Max Brief's appointment, by keyboard: Tab to an appointment, Enter opens it."""
    desk.open_request("Max Brief")
    day = desk.page.locator("#move-date").input_value()
    desk.go(f"/console/calendar?date={day}", "planner-day")
    for presses in range(1, 200):  # noqa: B007 (reported after the loop)
        desk.page.keyboard.press("Tab")
        if desk.page.evaluate("document.activeElement.classList.contains('appt')"):
            break
    else:
        raise AssertionError("no appointment reachable by Tab in the planner")
    print(f"planner: first appointment reached after {presses} Tab presses")
    desk.shot("planner-focus-on-appointment")
    desk.page.keyboard.press("Enter")
    expect(desk.page).to_have_url(re.compile(r"/console/appointments/\d+$"))
    desk.shot("planner-enter-opened")
    desk.go(f"/console/calendar?date={day}")
    desk.page.emulate_media(media="print")
    desk.shot("planner-print")
    desk.page.pdf(path=str(desk.shots / "planner-print.pdf"), format="A4")
    desk.page.emulate_media(media="screen")
    desk.go(f"/console/calendar?date={day}&view=week", "planner-week")
    desk.go(f"/console/calendar?date={day}&cancelled=1", "planner-cancelled-shown")


def admin_pages(desk: Desk) -> None:
    for path, name in (
        ("/console/audit", "audit"),
        ("/console/users", "users"),
        ("/console/outbox", "outbox"),
        ("/console/reminders", "reminders"),
        ("/console/waitlist", "waitlist"),
        ("/console/feeds", "feeds"),
        ("/console/inbox", "inbox-end-of-morning"),
    ):
        desk.go(path, name)


def run(base: str, password: str, shots: Path, sink) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
        desk = Desk(context.new_page(), base, shots)
        for step in (
            log_in,
            link_existing,
            create_customers,
            confirm_some,
            cancel_and_undo,
            move_one,
            please_confirm,
            search_processed,
            planner,
            admin_pages,
        ):
            step(desk, password) if step is log_in else step(desk)
        browser.close()
