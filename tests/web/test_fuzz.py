"""Fuzzing every route and form with hypothesis: never a 500, nothing stored from bad input.

The routes come from the app's URL map, so every new page and form is covered without
touching this file. Console routes run logged in as the demo practice's admin.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import demo
from core.models import Appointment, Customer, Notification, StatusChange
from tests.web.staff import PW_HASH

FIELDS = [
    "type",
    "branch",
    "resource",
    "week",
    "start",
    "lang",
    "token",
    "done",
    "first_name",
    "last_name",
    "email",
    "phone",
    "message",
    "salutation",
    "consent",
    "website",
    "status",
    "reason",
    "q",
    "customer",
    "name",
    "password",
    "date",
    "view",
    "id",
    "next",
    "page",
]
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
values = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "demo",
            "2026-03-29",
            "2026-11-23T09:00",
            "9999-99-99",
            "yes",
            "en",
            "de",
            "x" * 300,
            "' OR 1=1 --",
            "\x00",
            "../../etc",
        ]
    ),
)
params = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
    st.fixed_dictionaries({name: values for name in FIELDS}),
)


def routes(app, method):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and method in rule.methods:
            yield rule


def build_path(rule, draw_values: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = draw_values.get(name, "1")
        # A function as replacement: a drawn "\\1" must stay text, not a group reference.
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _match, v=value: v, path)
    return path


def stored(session):
    return [
        session.scalar(select(func.count()).select_from(m))
        for m in (Appointment, Customer, Notification, StatusChange)
    ]


@pytest.fixture
def fuzz_client(app, session, now, redis_conn):
    app.config["WIDGET_MIN_FILL_SECONDS"] = 0
    demo.seed(session, now=now, admin_password_hash=PW_HASH)
    client = app.test_client()
    client.post("/console/login", data={"email": demo.ADMIN_EMAIL, "password": "pw"})
    return client


path_values = st.dictionaries(
    st.sampled_from(
        [
            "slug",
            "token",
            "id",
            "appointment_id",
            "customer_id",
            "notification_id",
            "branch_id",
            "resource_id",
            "type_id",
            "status_id",
            "user_id",
        ]
    ),
    st.one_of(
        st.just("demo"),
        st.integers(0, 10**12).map(str),
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#"),
            min_size=1,
            max_size=30,
        ),
    ),
)


def _rules(method: str) -> list:
    """The routes of an app built only to read its URL map, one test per route: a new page
    or form is fuzzed without touching this file, and each route gets its own examples."""
    from app import create_app

    return list(routes(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}), method))


GET_RULES = _rules("GET")
POST_RULES = [rule for rule in _rules("POST") if rule.endpoint != "console.logout"]


@pytest.mark.parametrize("rule", GET_RULES, ids=lambda rule: rule.endpoint)
@SETTINGS
@given(data=st.data())
def test_no_get_route_answers_500(fuzz_client, rule, data):
    path = build_path(rule, data.draw(path_values))
    response = fuzz_client.get(path, query_string=data.draw(params))
    assert response.status_code < 500, (rule.rule, path, response.status_code)


@pytest.mark.parametrize("rule", POST_RULES, ids=lambda rule: rule.endpoint)
@SETTINGS
@given(data=st.data())
def test_no_post_route_answers_500_or_stores_rejected_input(fuzz_client, session, rule, data):
    before = stored(session)
    path = build_path(rule, data.draw(path_values))
    response = fuzz_client.post(path, data=data.draw(params))
    assert response.status_code < 500, (rule.rule, path, response.status_code)
    if response.status_code >= 400:
        session.expire_all()
        assert stored(session) == before, (rule.rule, response.status_code)


NASTY = [
    "\x00",
    "a\x00b",
    "x" * 5000,
    "2026-02-30T25:61",
    "-1",
    "99999999999999999999",
    "☃",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("nasty", NASTY, ids=lambda v: repr(v[:12]))
def test_every_route_survives_the_same_nasty_value_in_every_field(fuzz_client, app, session, nasty):
    for rule in routes(app, "GET"):
        path = build_path(rule, {name: nasty.replace("/", "") or "x" for name in rule.arguments})
        response = fuzz_client.get(path, query_string={name: nasty for name in FIELDS})
        assert response.status_code < 500, (rule.rule, response.status_code)
    for rule in routes(app, "POST"):
        if rule.endpoint == "console.logout":
            continue
        before = stored(session)
        path = build_path(rule, {name: "1" for name in rule.arguments})
        response = fuzz_client.post(path, data={name: nasty for name in FIELDS})
        assert response.status_code < 500, (rule.rule, response.status_code)
        if response.status_code >= 400:
            session.expire_all()
            assert stored(session) == before, rule.rule
