"""GET /healthz/: JSON status of the database and the task queue for load balancers."""

from __future__ import annotations

from tests.lms.test_startup import CLOSED_PORT, run


def test_it_reports_ok_when_database_and_queue_answer(client, db, settings):
    response = client.get("/healthz/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["task_queue"] == {
        "status": "ok",
        "mode": "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "broker",
        "latency_ms": body["checks"]["task_queue"]["latency_ms"],
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_is_503_when_the_broker_does_not_answer(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://{CLOSED_PORT}/0"

    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["task_queue"]["status"] == "error"
    assert "CELERY_BROKER_URL" in body["checks"]["task_queue"]["error"]


def test_it_is_503_when_the_database_does_not_answer():
    probe = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz/', HTTP_HOST='localhost');"
        "print(r.status_code, r.json()['checks']['database']['status'])"
    )
    result = run(
        "-c",
        probe,
        DJANGO_SETTINGS_MODULE="lms.settings",
        DEBUG="true",
        DATABASE_URL=f"postgresql://postgres@{CLOSED_PORT}/lms",
    )
    assert result.stdout.split() == ["503", "error"], result.stderr


def test_it_accepts_only_get(client, db):
    assert client.post("/healthz/").status_code == 405
