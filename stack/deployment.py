"""The stack as a whole: its settings, its state on disk, starting and stopping it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import redis

from stack import processes, provision, tls

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STATE_FILE = "stack.json"
# Only these pass from the caller's environment: each instance is configured by the stack.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


@dataclass
class Stack:
    directory: Path
    admin_url: str = DEFAULT_ADMIN_URL
    intake_database: str = "stack_intake"
    console_database: str = "stack_console"
    redis_host: str = "127.0.0.1:6379"
    redis_db: int = 8  # intake's; the console has the next one (one Redis per side in reality)
    intake_ports: tuple[int, int] = (8441, 8442)
    console_port: int = 8443
    workers: int = 2
    cheap_argon2: bool = False
    intake_settings: dict[str, str] = field(default_factory=dict)  # LIMIT_* and the like
    intake_env: dict[str, str] = field(default_factory=dict)
    console_env: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def intake_urls(self) -> list[str]:
        return [f"https://127.0.0.1:{port}" for port in self.intake_ports]

    @property
    def console_url(self) -> str:
        return f"https://127.0.0.1:{self.console_port}"

    def redis_url(self, db: int) -> str:
        return f"redis://{self.redis_host}/{db}"

    def save(self) -> None:
        state = {**asdict(self), "directory": str(self.directory)}
        path = self.directory / STATE_FILE
        path.touch(mode=0o600)  # it holds the stack's secrets
        path.write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, directory: Path) -> Stack:
        state = json.loads((directory / STATE_FILE).read_text())
        state["directory"] = Path(state["directory"])
        state["intake_ports"] = tuple(state["intake_ports"])
        return cls(**state)

    def start(self) -> None:
        """Provision everything afresh, start the three instances and wait until each is ready."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tls.self_signed(self.directory)
        intake_url = provision.fresh_database(self.admin_url, self.intake_database)
        console_url = provision.fresh_database(self.admin_url, self.console_database)
        self.flush_redis()
        done = provision.provision(self.directory, intake_url, console_url)
        base = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        base |= {
            "SAFE_REFERRAL_ENV": "production",
            "SAFE_REFERRAL_INSTANCE": str(self.directory / "instance"),
            "TRUSTED_PROXIES": "0",
        }
        self.intake_env = {
            **base,
            "SECRET_KEY": provision.new_secret(),
            "REFERENCE_PEPPER": provision.new_secret(),
            "DATABASE_URL": intake_url,
            "REDIS_URL": self.redis_url(self.redis_db),
            "INTAKE_BASE_URL": self.intake_urls[0],
            "PINNED_PROVIDER_KEYS": done.pins,
            "STACK_CHEAP_ARGON2": "1" if self.cheap_argon2 else "0",
            **self.intake_settings,
        }
        self.console_env = {
            **base,
            "SECRET_KEY": provision.new_secret(),
            "AUDIT_CHAIN_KEY": provision.new_secret(),
            "CONSOLE_DATABASE_URL": console_url,
            "REDIS_URL": self.redis_url(self.redis_db + 1),
            "INTAKE_API_URL": f"{self.intake_urls[0]}/api/v1",
            "INTAKE_API_TOKEN": done.api_token,
            "CONSOLE_BASE_URL": self.console_url,
            # The console checks intake's certificate against the stack's own.
            "SSL_CERT_FILE": str(self.directory / "cert.pem"),
        }
        self.save()
        try:
            for number, port in enumerate(self.intake_ports, start=1):
                self.start_intake(f"intake-{number}", port)
            self.pids["console"] = processes.start_instance(
                "console", "stack.apps:console()", self.console_port, self.console_env,
                self.directory, self.workers,
            )
            self.save()
            context = processes.tls_context(self.directory)
            for name, url in self.instances().items():
                processes.wait_ready(url, context, self.pids[name])
        except BaseException:
            self.stop(drop=True)
            raise

    def start_intake(self, name: str, port: int, **changes: str) -> str:
        """Start one more intake instance (with changed settings, for fault tests); its URL."""
        self.pids[name] = processes.start_instance(
            name, "stack.apps:intake()", port, {**self.intake_env, **changes},
            self.directory, self.workers,
        )
        self.save()
        return f"https://127.0.0.1:{port}"

    def instances(self) -> dict[str, str]:
        urls = {f"intake-{n}": url for n, url in enumerate(self.intake_urls, start=1)}
        return {**urls, "console": self.console_url}

    def stop_instance(self, name: str) -> None:
        if name in self.pids:
            processes.stop_instance(self.pids.pop(name))
            self.save()

    def stop(self, drop: bool = True) -> None:
        """Stop every instance; with `drop`, also remove the databases and Redis counters."""
        for name in list(self.pids):
            self.stop_instance(name)
        if drop:
            provision.drop_database(self.admin_url, self.intake_database)
            provision.drop_database(self.admin_url, self.console_database)
            self.flush_redis()

    def flush_redis(self) -> None:
        """Empty the stack's own two Redis databases (never any other)."""
        for db in (self.redis_db, self.redis_db + 1):
            connection = redis.Redis.from_url(self.redis_url(db))
            try:
                connection.flushdb()
            finally:
                connection.close()

    def flask(
        self, side: str, *args: str, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run a `flask` command against one side, with that side's production settings."""
        env = self.intake_env if side == "intake" else self.console_env
        factory = "app:create_intake_app" if side == "intake" else "app:create_console_app"
        return subprocess.run(  # noqa: S603 - our own flask, arguments from the caller
            [str(Path(sys.executable).parent / "flask"), "--app", factory, *args],
            cwd=processes.ROOT, env=env, capture_output=True, text=True, timeout=timeout,
            check=False,
        )

    def status(self) -> dict[str, str]:
        context = processes.tls_context(self.directory)
        answer = {}
        for name, url in self.instances().items():
            pid = self.pids.get(name)
            if pid is None or not processes.alive(pid):
                answer[name] = "stopped"
            else:
                answer[name] = "ready" if processes.ready(url, context) else "not ready"
        return answer
