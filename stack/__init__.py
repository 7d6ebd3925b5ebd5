"""A production-like stack on one machine: two intake instances and one console under gunicorn.

`python -m stack start|stop|status` (docs/deploy.md, "A production-like stack on one
machine"). Everything runs on 127.0.0.1 in production configuration against PostgreSQL and
Redis: real secrets generated into the stack's directory, a provider key set made and pinned
as in the key ceremony, migrations applied, no demo data. The tests in tests/stack/ and
benchmarks/stack_load.py use it; never for serving real people.
"""
