"""Issue 13 in the test client: the kind first and then only the branches that offer it,
error summaries that name their fields, a fast human who gets the form back, the week as
lists of free times, English formats, and error pages that lead back to the start."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import Appointment, AppointmentType, Branch, Resource
from tests.web.test_widget import PERSON, count, open_form, post, token_of, type_id, week_page


def add_hoertest_at_spandau(session) -> None:
    """Give Hörtest a cabin at Filiale Spandau too, so that it is offered at two branches."""
    spandau = session.scalar(select(Branch).where(Branch.name == "Filiale Spandau"))
    cabin = Resource(practice_id=spandau.practice_id, branch=spandau, name="Kabine Spandau")
    session.add(cabin)
    kind = session.scalar(select(AppointmentType).where(AppointmentType.name == "Hörtest"))
    kind.resources.append(cabin)
    session.commit()


def test_the_entry_asks_only_the_kind_and_a_kind_at_one_branch_skips_the_branch_step(
    widget, session
):
    entry = widget.get("/w/demo/")
    assert entry.status_code == 200
    assert "Beratung" in entry.text and "Filiale Spandau" not in entry.text
    assert 'action="/w/demo/where"' in entry.text
    beratung = widget.get("/w/demo/where", query_string={"type": type_id(session, "Beratung")})
    assert beratung.status_code == 302
    assert beratung.location.endswith(f"/w/demo/week?type={type_id(session, 'Beratung')}&branch=1")
    week = widget.get(beratung.location)
    assert "Filiale Mitte" in week.text  # the page says where, nothing was chosen unseen


def test_a_kind_at_two_branches_offers_exactly_those(widget, session):
    add_hoertest_at_spandau(session)
    page = widget.get("/w/demo/where", query_string={"type": type_id(session, "Hörtest")})
    assert page.status_code == 200
    assert page.text.count('name="branch"') == 2
    assert "Filiale Mitte" in page.text and "Filiale Spandau" in page.text
    chosen = widget.get(
        "/w/demo/where",
        query_string={"type": type_id(session, "Hörtest"), "branch": 2, "step": "branch"},
    )
    assert chosen.status_code == 302 and "branch=2" in chosen.location


def test_a_branch_without_the_kind_is_refused_out_loud_never_swapped(widget, session):
    beratung = type_id(session, "Beratung")
    week = widget.get("/w/demo/week", query_string={"type": beratung, "branch": 2})
    assert week.status_code == 302 and "/w/demo/where" in week.location
    assert "branch=2" in week.location
    page = widget.get(week.location)
    assert page.status_code == 200
    assert "Beratung wird am Standort „Filiale Spandau“ nicht angeboten" in page.text
    assert 'value="1"' in page.text and "checked" not in page.text  # offered, not chosen


def test_empty_steps_name_what_is_missing_in_a_summary(widget, session):
    add_hoertest_at_spandau(session)
    no_kind = widget.get("/w/demo/where")
    assert no_kind.status_code == 400
    assert '<a href="#type-1">Terminart: Bitte wählen Sie, was Sie buchen möchten.</a>' in (
        no_kind.text
    )
    assert 'id="type-1"' in no_kind.text and "<title>Fehler: " in no_kind.text
    no_branch = widget.get(
        "/w/demo/where", query_string={"type": type_id(session, "Hörtest"), "step": "branch"}
    )
    assert '<a href="#branch-1">Ort: Bitte wählen Sie einen Ort.</a>' in no_branch.text


def test_the_error_summary_names_every_field_in_the_forms_order(widget, session):
    _, token = open_form(widget, session)
    page = post(widget, token, first_name="", last_name="", email="", phone="", consent="")
    assert page.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', page.text, re.S).group(0)
    links = re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary)
    assert links == [
        ("first_name", "Vorname: Bitte füllen Sie dieses Feld aus."),
        ("last_name", "Nachname: Bitte füllen Sie dieses Feld aus."),
        ("email", "E-Mail: Bitte füllen Sie dieses Feld aus."),
        ("phone", "Telefon: Bitte füllen Sie dieses Feld aus."),
        ("consent", "Einwilligung: Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."),
    ]
    for name, _ in links:  # each linked field exists and repeats its message
        assert f'id="{name}"' in page.text and f'id="{name}-error"' in page.text


def test_a_fast_submit_comes_back_as_the_same_form_filled_and_books_on_the_second_try(
    widget, session, app
):
    app.config.update(WIDGET_MIN_FILL_SECONDS=60)
    _, token = open_form(widget, session)
    before = count(session, Appointment)
    page = post(widget, token, message="Bitte mit Hörgerät")
    assert page.status_code == 429
    assert "Bitte prüfen Sie Ihre Angaben und senden Sie das Formular erneut" in page.text
    assert 'value="Erika"' in page.text and 'value="erika@example.org"' in page.text
    assert "Bitte mit Hörgerät</textarea>" in page.text and "checked" in page.text
    assert count(session, Appointment) == before
    fresh = token_of(page)
    assert post(widget, fresh).status_code == 429  # the new form's clock starts anew
    app.config.update(WIDGET_MIN_FILL_SECONDS=0)
    assert post(widget, fresh).status_code == 303
    assert count(session, Appointment) == before + 1


def test_a_fast_bot_filling_the_honeypot_still_books_nothing(widget, session, app):
    app.config.update(WIDGET_MIN_FILL_SECONDS=60)
    _, token = open_form(widget, session)
    before = count(session, Appointment)
    page = post(widget, token, website="http://spam.example")
    assert page.status_code == 200 and count(session, Appointment) == before


def test_error_pages_name_the_practice_and_lead_back_to_the_start(widget, session):
    pages = [
        widget.get("/w/demo/week?type=1&branch=1&week=2020-01-06"),
        widget.get("/w/demo/cancel/not-a-token"),
        widget.post("/w/demo/book", data={"token": "x", **PERSON}, headers={"Origin": "x"}),
        widget.post(
            "/w/demo/book", data={"message": "x" * 100_000}, headers={"Origin": "http://localhost"}
        ),
    ]
    for page in pages:
        assert page.status_code >= 400
        assert "<title>" in page.text and "Hörakustik Sonnenschein</title>" in page.text
        assert 'href="/w/demo/"' in page.text, page.text


def test_the_week_lists_only_free_times_per_day_and_marks_a_day_without_any(widget, session):
    page = week_page(widget, session)
    days = re.findall(r'<th scope="col">(.*?)</th>', page.text)
    assert len(days) == 5  # Saturday has no free time: no column of "×" only
    assert 'Mo.</abbr> <span class="date">23.11.</span>' in days[0]
    assert "12:30" not in page.text  # no start that no cabin offers
    assert 'aria-label="Montag, 23. November, 09:00"' in page.text
    assert 'Nächster freier Termin:</strong>\n  <a href="book?start=2026-11-23T09:00' in page.text
    later = week_page(widget, session, week="2026-11-30")
    assert "Nächster freier Termin" not in later.text
    resource = session.get(Resource, 1)
    other = session.get(Resource, 2)
    for r in (resource, other):
        r.working_hours = [w for w in r.working_hours if w.weekday != 1]  # closed Tuesdays
    session.commit()
    closed = week_page(widget, session, week="2026-11-30")
    cells = re.findall(r"<td>(.*?)</td>", closed.text, re.S)
    assert "×" in cells[1] and "keine freien Termine" in cells[1] and "href" not in cells[1]


def test_english_pages_use_english_dates_and_times(widget, session):
    page = week_page(widget, session, lang="en")
    assert '<abbr title="Monday">Mon</abbr> <span class="date">23 Nov</span>' in page.text
    assert 'aria-label="Monday 23 November, 09:00"' in page.text
    assert "Week of 23 November 2026" in page.text
    link = re.search(r'href="(book\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
    form = widget.get("/w/demo/" + link)
    assert "Monday 23 November 2026, 09:00" in form.text
    done = widget.get(post(widget, token_of(form), lang="en").location)
    cancel = re.search(r'href="[^"]*?(/w/demo/cancel/[^"]+)"', done.text).group(1)
    cancel_page = widget.get(cancel.replace("&amp;", "&"))
    assert "Monday 23 November 2026, 09:00–09:30" in cancel_page.text
    for text in (form.text, done.text, cancel_page.text):
        assert "o'clock" not in text and "Uhr" not in text and " AM" not in text


def test_favicon_robots_noindex_and_the_entry_description(widget, session):
    icon = widget.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    robots = widget.get("/robots.txt")
    assert robots.mimetype == "text/plain" and "Disallow: /console/" in robots.text
    entry = widget.get("/w/demo/")
    assert '<meta name="description" content="Termin online bei Hörakustik Sonnenschein' in (
        entry.text
    )
    assert "noindex" not in entry.text and 'rel="icon" href="/favicon.ico"' in entry.text
    _, token = open_form(widget, session)
    done = widget.get(post(widget, token).location)
    assert '<meta name="robots" content="noindex">' in done.text
    assert '<meta name="robots" content="noindex">' in widget.get("/w/demo/cancel/x").text
