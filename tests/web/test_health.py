"""Health and readiness say only ok / ready, and readiness follows the database (real)."""

from app import create_console_app, create_intake_app


def test_health_and_readiness_answer_with_one_word_and_the_usual_headers(client):
    health = client.get("/healthz")
    ready = client.get("/readyz")
    assert (health.status_code, health.get_data(as_text=True)) == (200, "ok\n")
    assert (ready.status_code, ready.get_data(as_text=True)) == (200, "ready\n")
    assert ready.headers["Cache-Control"] == "no-store, max-age=0"
    assert "Set-Cookie" not in ready.headers


def test_readiness_fails_without_a_database_and_says_nothing_about_why(tmp_path):
    missing = tmp_path / "no-such-directory" / "intake.sqlite"
    app = create_intake_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    answer = app.test_client().get("/readyz")
    assert (answer.status_code, answer.get_data(as_text=True)) == (503, "not ready\n")
    assert app.test_client().get("/healthz").status_code == 200


def test_the_console_has_them_too(tmp_path):
    app = create_console_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite'}"}
    )
    assert app.test_client().get("/readyz").status_code == 200



def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_with_redis_out_of_reach_readiness_holds_while_limits_fall_back_to_memory(tmp_path):
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'i.sqlite'}",
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_closed_port()}/0",
        "RATELIMIT_ENABLED": True,  # the limiter is one object; earlier tests switch it off
    }
    serving = create_intake_app(settings)
    assert serving.test_client().get("/readyz").status_code == 200
    # Without the fall-back a Redis outage would stop limiting, so the instance is not ready.
    strict = create_intake_app({**settings, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False})
    assert strict.test_client().get("/readyz").status_code == 503
