"""gunicorn.conf.py loads the app once and forks it: each worker gets its own database
connections, finds every template compiled, and a worker replaced after its requests serves
at once."""

import gc
import runpy
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from app import create_intake_app
from app.extensions import intake_db
from tests.test_gunicorn_logging import free_port

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def _as_gunicorn_holds_it(app):
    """The one thing the hooks ask of gunicorn's server or worker: the loaded app."""
    return SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))


def test_the_app_is_loaded_once_before_the_workers_are_forked():
    assert SETTINGS["preload_app"] is True


def test_a_forked_worker_opens_its_own_connections_and_leaves_the_masters_open(tmp_path):
    app = create_intake_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'i.sqlite'}"})
    with app.app_context():
        masters_pool = intake_db.engine.pool
        masters = intake_db.engine.connect()  # a connection made before the fork
        SETTINGS["post_fork"](None, _as_gunicorn_holds_it(app))
        assert intake_db.engine.pool is not masters_pool  # the worker's pool starts empty
        assert masters.exec_driver_sql("select 1").scalar() == 1  # not closed under the master
        masters.close()


def test_every_template_is_compiled_and_the_heap_frozen_before_the_first_fork(tmp_path):
    app = create_intake_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'i.sqlite'}"})
    pages = [n for n in app.jinja_env.list_templates() if n.endswith(".html")]
    assert "intake/return.html" in pages
    try:
        SETTINGS["when_ready"](_as_gunicorn_holds_it(app))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    loaded = {name for (_, name) in app.jinja_env.cache}
    assert set(pages) <= loaded


def test_workers_replaced_every_few_requests_still_answer_every_request(tmp_path):
    database = f"sqlite:///{tmp_path / 'intake.sqlite'}"
    app = create_intake_app({"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        intake_db.create_all()
        intake_db.engine.dispose()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--max-requests", "5",
         "--max-requests-jitter", "0", "app:create_intake_app()"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": database,
            "SAFE_REFERRAL_INSTANCE": str(tmp_path),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        # 60 requests: each worker is replaced every 5, so about a dozen new workers answer,
        # each reading the database through its own connections (/readyz, the form's offer).
        for number in range(60):
            path = ("/readyz", "/referral/service", "/return")[number % 3]
            with urllib.request.urlopen(base + path, timeout=10) as answer:
                assert answer.status == 200, path
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert output.count("Booting worker") >= 10
    assert "Traceback" not in output
