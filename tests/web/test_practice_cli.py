"""`flask practice create` onboards practices, and the console keeps them apart."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import Branch, Customer, Practice, Status, User

PASSWORD = "ein-langes-passwort"


def create(runner, slug, *extra, password=PASSWORD):
    return runner.invoke(
        args=["practice", "create", slug, "--name", f"Praxis {slug}", *extra],
        input=f"{password}\n{password}\n",
    )


def logged_in(app, email):
    client = app.test_client()
    answer = client.post("/console/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def test_a_practice_is_created_with_workflow_branch_and_admin(runner, session):
    result = create(
        runner, "nord", "--admin", "Chefin@Nord.example", "--language", "en",
        "--timezone", "Europe/Vienna", "--country", "AT", "--branch-phone", "+43 1 234567",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    practice = session.scalar(select(Practice).where(Practice.slug == "nord"))
    assert (practice.timezone, practice.language, practice.country) == ("Europe/Vienna", "en", "AT")
    assert [b.phone for b in practice.branches] == ["+43 1 234567"]
    assert "Confirmed" in [s.name for s in practice.statuses]
    admin = session.scalar(select(User).where(User.practice_id == practice.id))
    assert admin.email == "chefin@nord.example" and admin.role == "admin"
    assert PASSWORD not in result.output


def test_bad_input_is_refused_with_a_message_and_creates_nothing(runner, session):
    assert create(runner, "nord", "--admin", "a@nord.example").exit_code == 0
    for args, message in [
        (("nord", "--admin", "b@nord.example"), "exists already"),
        (("Süd Praxis", "--admin", "b@sued.example"), "slug"),
        (("sued", "--admin", "b@sued.example", "--timezone", "Mars/Olympus"), "time zone"),
        (("sued", "--admin", "not-an-address"), "invalid email"),
        (("sued", "--admin", "b@sued.example", "--branch", "Ost\nWest"), "one line"),
    ]:
        result = create(runner, *args)
        assert result.exit_code == 1 and message in result.output, result.output
    result = create(runner, "sued", "--admin", "b@sued.example", password="kurz")
    assert result.exit_code == 1 and "10 characters" in result.output
    assert session.scalar(select(func.count()).select_from(Practice)) == 1
    assert session.scalar(select(func.count()).select_from(Branch)) == 1
    assert session.scalar(select(func.count()).select_from(Status)) == 6


def test_staff_of_one_practice_cannot_see_the_others_data(app, runner, session, redis_conn):
    assert create(runner, "nord", "--admin", "admin@nord.example").exit_code == 0
    assert create(runner, "sued", "--admin", "admin@sued.example").exit_code == 0
    nord = logged_in(app, "admin@nord.example")
    saved = nord.post(
        "/console/customers/new",
        data={"last_name": "Nordmann", "email": "n@example.org", "preferred_channel": "email"},
    )
    assert saved.status_code == 303
    customer = session.scalar(select(Customer).where(Customer.last_name == "Nordmann"))
    branch = session.scalar(select(Branch).where(Branch.practice_id == customer.practice_id))
    status = session.scalar(select(Status).where(Status.practice_id == customer.practice_id))

    sued = logged_in(app, "admin@sued.example")
    for path in (f"/console/customers/{customer.id}", f"/console/customers/{customer.id}/export"):
        assert sued.get(path).status_code == 404
    for path, data in [
        (f"/console/settings/branches/{branch.id}", {"name": "Übernommen"}),
        (f"/console/settings/statuses/{status.id}", {"name": "X", "kind": "start"}),
        (f"/console/customers/{customer.id}/erase", {"confirm": "yes"}),
    ]:
        assert sued.post(path, data=data).status_code == 404
    assert "Nordmann" not in sued.get("/console/customers?q=Nord").text
    session.expire_all()
    assert session.get(Branch, branch.id).name == "Praxis nord"
    assert session.get(Customer, customer.id) is not None
    assert nord.get(f"/console/customers/{customer.id}").status_code == 200
