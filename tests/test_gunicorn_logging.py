"""G4 in production: gunicorn, run with the repo's config, logs no address, agent or time."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_writes_no_access_line_and_no_time_or_address(tmp_path):
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'intake.sqlite'}",
        "SAFE_REFERRAL_INSTANCE": str(tmp_path),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_intake_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/privacy",
                    headers={"User-Agent": "MarkerAgent/9.9", "Referer": "https://marker.example/"},
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "Booting worker" in output or "Listening at" in output, output  # it did log
    assert "127.0.0.1" not in output.replace(f"http://127.0.0.1:{port}", "")
    assert "MarkerAgent" not in output
    assert "marker.example" not in output
    assert "GET /privacy" not in output
    assert not TIME_OF_DAY.search(output), output
