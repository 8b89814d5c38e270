"""The server side of the portal: health, first run, invitations, the audit log's
append-only rule, the queue on both storages, production settings."""
from __future__ import annotations

import datetime
import io
import os
import secrets
import sqlite3
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from pipeline.paths import ROOT
from web.portal.models import AppendOnly, AuditEvent, Invitation, PrintRequest

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.django_db
def test_healthz_reports_database_and_queue():
    response = Client().get("/healthz")
    assert response.status_code == 200
    state = response.json()
    assert state["ok"] and state["database"]["ok"] and state["queue"]["ok"]
    assert state["database"]["vendor"] == connection.vendor
    assert "storage" in state["queue"]


def test_default_database_is_a_sqlite_file_in_wal_mode(tmp_path):
    """`make serve` without DATABASE_URL: migrate creates var/portal.sqlite3, in WAL mode."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "web.settings.local", "PORTAL_VAR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "web/manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "portal.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"portal_auditevent_no_update", "portal_auditevent_no_delete"} <= triggers
    db.close()


@pytest.mark.django_db
def test_first_run_prints_one_link_until_a_coordinator_exists(user_factory):
    out = io.StringIO()
    call_command("portal_firstrun", stdout=out)
    assert "/invitation/" in out.getvalue()
    call_command("portal_firstrun", stdout=io.StringIO())
    assert Invitation.objects.filter(organisation=None, expires_at__gt=datetime.datetime.now(datetime.UTC)).count() == 1
    user_factory("boss@police.example", coordinator=True)
    out = io.StringIO()
    call_command("portal_firstrun", stdout=out)
    assert out.getvalue() == ""


@pytest.mark.django_db
def test_invitation_link_works_once(org_factory):
    org = org_factory("Gamma")
    _, token = Invitation.issue("gwen@gamma.example", org)
    url = reverse("accept-invitation", args=[token])
    c = Client()
    data = {"first_name": "Gwen", "last_name": "G", "new_password1": "a fine long passphrase",
            "new_password2": "a fine long passphrase"}
    assert c.post(url, data).status_code == 302
    assert Client().get(url).status_code == 404
    assert Client().post(url, data).status_code == 404
    assert Client().get(reverse("accept-invitation", args=["not-a-token"])).status_code == 404


@pytest.mark.django_db
def test_a_second_invitation_to_one_address_is_dead_once_the_first_made_the_account(org_factory):
    # Two invitations to one address (sent twice, or to two organisations): the second
    # link, used after the first made the account, says it no longer works (not a 500),
    # and neither moves the account nor changes its password.
    gamma, delta = org_factory("Gamma"), org_factory("Delta")
    _, first = Invitation.issue("gwen@gamma.example", gamma)
    _, second = Invitation.issue("gwen@gamma.example", delta)
    data = {"first_name": "Gwen", "last_name": "G", "new_password1": "a fine long passphrase",
            "new_password2": "a fine long passphrase"}
    assert Client().post(reverse("accept-invitation", args=[first]), data).status_code == 302
    url = reverse("accept-invitation", args=[second])
    assert Client().get(url).status_code == 404
    visitor = Client(raise_request_exception=False)
    response = visitor.post(url, {**data, "new_password1": "another long passphrase",
                                  "new_password2": "another long passphrase"})
    assert response.status_code == 404 and "_auth_user_id" not in visitor.session
    from web.portal.models import User

    gwen = User.objects.get(username="gwen@gamma.example")
    assert gwen.organisation == gamma and gwen.check_password("a fine long passphrase")


@pytest.mark.django_db
def test_audit_log_has_no_update_or_delete_path(user_factory):
    event = AuditEvent.record(user_factory("a@b.example", coordinator=True), "approved")
    with pytest.raises(AppendOnly):
        event.action = "rejected"
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    from web.portal.admin import AuditEventAdmin
    from django.contrib.admin.sites import site

    admin = AuditEventAdmin(AuditEvent, site)
    assert not admin.has_add_permission(None) and not admin.has_change_permission(None)
    assert not admin.has_delete_permission(None)


@pytest.mark.django_db(transaction=True)
def test_audit_log_database_refuses_changes(user_factory):
    """The triggers of migration 0002: on PostgreSQL in this database, on SQLite in a file of its own."""
    if connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        event = AuditEvent.record(user_factory("c@d.example", coordinator=True), "approved")
        for sql in ("UPDATE portal_auditevent SET action = 'x' WHERE id = %s",
                    "DELETE FROM portal_auditevent WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [event.pk])
        return
    import importlib

    migration = importlib.import_module("web.portal.migrations.0002_audit_append_only")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE portal_auditevent (id INTEGER PRIMARY KEY, action TEXT)")
    for sql in migration.SQLITE:
        db.execute(sql)
    db.execute("INSERT INTO portal_auditevent (action) VALUES ('approved')")
    for sql in ("UPDATE portal_auditevent SET action = 'x'", "DELETE FROM portal_auditevent"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)


def _approved_request(org_factory, user_factory, with_logo, offer) -> PrintRequest:
    org = with_logo(org_factory("Queue Aid"))
    partner = user_factory(f"q{secrets.token_hex(3)}@queue.example", org)
    return PrintRequest.objects.create(
        organisation=org, created_by=partner, campaign=offer.slug, products=["leaflet-dl"],
        copies={"leaflet-dl": 100}, printed_name="Queue Aid", contact="Queue Aid, weekdays", phone="",
        logo_file=org.logo_file, delivery_address="York", needed_by=datetime.date(2027, 1, 1),
        status=PrintRequest.Status.APPROVED)


def _huey(kind: str, tmp_path):
    from huey import RedisHuey, SqliteHuey

    if kind == "sqlite":
        return SqliteHuey("portal-test", filename=str(tmp_path / "huey.sqlite3"))
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}): the Redis queue is not tested here")
    h = RedisHuey(f"portal-test-{secrets.token_hex(4)}", url=REDIS_URL)
    return h


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
@pytest.mark.django_db(transaction=True)
def test_build_task_runs_through_the_queue(kind, tmp_path, org_factory, user_factory, with_logo, offer):
    from web.portal.tasks import build_request

    huey = _huey(kind, tmp_path)
    try:
        task = huey.task(context=False)(build_request.call_local)
        req = _approved_request(org_factory, user_factory, with_logo, offer)
        task(req.pk)  # enqueued, not run
        assert huey.pending_count() == 1
        req.refresh_from_db()
        assert req.status == PrintRequest.Status.APPROVED
        message = huey.dequeue()
        assert huey.execute(message) == PrintRequest.Status.BUILT
        req.refresh_from_db()
        assert req.status == PrintRequest.Status.BUILT, req.build_error
        assert req.build_done == req.build_total > 0
        assert {o["profile"] for o in req.build_outputs} >= {"screen"}
        assert AuditEvent.objects.filter(request=req, action="built").exists()
    finally:
        huey.flush()


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "web.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "print.example.org",
           "CSRF_TRUSTED_ORIGINS": "https://print.example.org", "PORTAL_VAR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = subprocess.run([sys.executable, "web/manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_need_a_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "web.settings.production", "DJANGO_SECRET_KEY": "",
           "PORTAL_VAR": str(tmp_path)}
    result = subprocess.run([sys.executable, "web/manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_mail_goes_to_the_outbox_folder():
    from web.settings import base

    assert base.EMAIL_BACKEND.endswith("filebased.EmailBackend")
    assert base.EMAIL_FILE_PATH == base.VAR / "outbox"
