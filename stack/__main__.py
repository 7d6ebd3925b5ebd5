"""`python -m stack start|stop|status|flask`: the production-like stack (docs/deploy.md)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from stack.deployment import DEFAULT_ADMIN_URL, Stack

DEFAULT_DIRECTORY = Path(tempfile.gettempdir()) / "safe-referral-stack"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "flask"])
    parser.add_argument("args", nargs="*", help="for flask: intake|console, then its arguments")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIRECTORY)
    parser.add_argument("--admin-url", default=os.environ.get("STACK_ADMIN_URL", DEFAULT_ADMIN_URL),
                        help="PostgreSQL URL the stack creates its databases with")
    parser.add_argument("--redis-db", type=int, default=8,
                        help="intake's Redis database number; the console takes the next one")
    parser.add_argument("--cheap-argon2", action="store_true",
                        help="the test suite's Argon2id parameters (never in production)")
    options = parser.parse_args(argv)
    if options.command == "start":
        if (options.dir / "stack.json").exists() and any(Stack.load(options.dir).pids):
            print(f"A stack is already running from {options.dir}: stop it first.")
            return 1
        stack = Stack(options.dir, admin_url=options.admin_url, redis_db=options.redis_db,
                      cheap_argon2=options.cheap_argon2)
        stack.start()
        for name, url in stack.instances().items():
            print(f"{name}: {url}/ (pid {stack.pids[name]})")
        print(f"Certificate: {options.dir / 'cert.pem'}; logs and settings in {options.dir}")
        return 0
    if not (options.dir / "stack.json").exists():
        print(f"No stack in {options.dir}.")
        return 1
    stack = Stack.load(options.dir)
    if options.command == "stop":
        stack.stop(drop=True)
        print("Stopped; databases dropped and Redis counters removed.")
    elif options.command == "status":
        for name, state in stack.status().items():
            print(f"{name}: {state}")
    else:
        side, *rest = options.args or ["intake"]
        result = stack.flask(side, *rest)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
