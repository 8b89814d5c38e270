"""The portal's tests again, on PostgreSQL (127.0.0.1:5432, database `test`), in a
process of their own: Django picks its database when it starts. Skipped, with the
reason, where no PostgreSQL server answers."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline.paths import ROOT

URLS = [os.environ.get("PORTAL_TEST_POSTGRES_URL", ""), "postgres://postgres@127.0.0.1:5432/test",
        "postgres://root@127.0.0.1:5432/test"]


def _reachable() -> tuple[str | None, str]:
    import psycopg

    why = ""
    for url in filter(None, URLS):
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return url, ""
        except psycopg.Error as exc:
            why = str(exc).strip().splitlines()[0]
    return None, why


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="already running on PostgreSQL")
def test_portal_tests_pass_on_postgresql():
    url, why = _reachable()
    if url is None:
        pytest.skip(f"no PostgreSQL server at 127.0.0.1:5432 ({why}): the portal was tested on SQLite only")
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "web/tests/test_access.py", "web/tests/test_server.py", "web/tests/test_requests.py",
         "web/tests/test_accounts.py", "web/tests/test_workflow.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
