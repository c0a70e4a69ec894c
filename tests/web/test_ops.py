"""Health endpoints and the request log."""

import json

from app import create_app
from harness.smtp import free_port


def test_healthz_answers_without_touching_dependencies(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_checks_database_and_redis(client, redis_conn):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_unavailable_when_redis_is_down(database_url):
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": nothing_listens}
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("error")


def test_request_log_is_one_json_line_without_personal_data(client, capsys):
    capsys.readouterr()
    client.post("/console/login?next=x", data={"email": "erika@example.org", "password": "pw"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["endpoint"] == "console.login" and entry["status"] == 401
    assert "erika" not in json.dumps(entry)


def test_security_headers_on_every_surface(client):
    for path in ("/", "/console/login", "/healthz"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors" in headers["Content-Security-Policy"]


def test_hsts_only_behind_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
