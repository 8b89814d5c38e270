"""Who may see and do what: another organisation's anything is a 404, a partner
cannot decide a request, every POST needs a CSRF token, hostile logos are refused."""
from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse

from web.portal.models import AuditEvent, PrintRequest

from .conftest import PASSWORD, png_logo

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_factory, user_factory, with_logo, offer):
    a, b = with_logo(org_factory("Alpha Aid")), with_logo(org_factory("Beta Support"))
    alice, bob = user_factory("alice@alpha.example", a), user_factory("bob@beta.example", b)
    coord = user_factory("coord@police.example", coordinator=True)
    req_b = PrintRequest.objects.create(
        organisation=b, created_by=bob, campaign=offer.slug, products=[offer.products[0]],
        copies={offer.products[0]: 100}, printed_name="Beta Support", contact="Beta Support, weekdays",
        phone="", logo_file=b.logo_file, delivery_address="1 Road, York", needed_by=datetime.date(2027, 1, 1),
        status=PrintRequest.Status.SUBMITTED)
    return {"a": a, "b": b, "alice": alice, "bob": bob, "coord": coord, "req_b": req_b}


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_other_organisations_request_is_404(world, offer):
    alice, req = client_for(world["alice"]), world["req_b"]
    product = offer.products[0]
    for url in (reverse("request", args=[req.pk]), reverse("request-edit", args=[req.pk]),
                reverse("request-status", args=[req.pk]), reverse("proof", args=[req.pk, product]),
                reverse("request-file", args=[req.pk, f"partners/x/{product}-screen.pdf"]),
                reverse("logo", args=[world["b"].logo_file])):
        assert alice.get(url).status_code == 404, url
    assert alice.post(reverse("proof", args=[req.pk, product]), {"contact": "x"}).status_code == 404
    assert alice.post(reverse("request", args=[req.pk]), {"decision": "approve"}).status_code == 404
    assert alice.post(reverse("request", args=[req.pk]), {"text": "hello"}).status_code == 404


def test_partner_cannot_approve_own_request(world):
    bob, req = client_for(world["bob"]), world["req_b"]
    response = bob.post(reverse("request", args=[req.pk]), {"decision": "approve"})
    assert response.status_code in (403, 404)
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.SUBMITTED
    assert not AuditEvent.objects.filter(action="approved").exists()


def test_partner_cannot_reach_coordinator_pages(world):
    bob = client_for(world["bob"])
    for name in ("queue", "organisations", "audit"):
        assert bob.get(reverse(name)).status_code == 404
    assert bob.get("/admin/").status_code == 302  # to the admin's own sign-in


def test_partner_sees_own_request(world):
    bob = client_for(world["bob"])
    response = bob.get(reverse("request", args=[world["req_b"].pk]))
    assert response.status_code == 200
    assert b"Beta Support" in response.content


def test_post_without_csrf_is_refused(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["coord"])
    req = world["req_b"]
    assert strict.post(reverse("request", args=[req.pk]), {"decision": "reject", "comment": "no"}).status_code == 403
    assert strict.post(reverse("organisations"), {"new_name": "X", "new_partner_id": "x",
                                                  "email": "x@example.org"}).status_code == 403
    partner = Client(enforce_csrf_checks=True)
    partner.force_login(world["bob"])
    assert partner.post(reverse("profile"), {"name": "Renamed"}).status_code == 403
    assert partner.post(reverse("proof", args=[req.pk, req.products[0]]), {"contact": "x"}).status_code == 403
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post(reverse("login"), {"username": "bob@beta.example", "password": PASSWORD}).status_code == 403
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.SUBMITTED


def test_anonymous_is_sent_to_sign_in(world):
    response = Client().get(reverse("request", args=[world["req_b"].pk]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


HOSTILE = {
    "script.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
    "entity.svg": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>', ""),
    "external.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                     b'<image xlink:href="https://evil.example/x.png" width="10" height="10"/></svg>', ""),
    "not-an-image.png": (b"MZ\x90\x00 this is a program, not a picture" * 10, "SVG, PNG or JPEG"),
    "truncated.png": (png_logo()[:200], ""),
    "bomb.png": (None, ""),  # 50 million pixels: a decompression bomb
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_logo_is_refused_with_a_message(world, name, settings):
    data, words = HOSTILE[name]
    if data is None:
        from PIL import Image
        buf = io.BytesIO()
        Image.new("1", (10_000, 5_000)).save(buf, "PNG")
        data = buf.getvalue()
    before = set(settings.UPLOADS_DIR.iterdir())
    bob = client_for(world["bob"])
    upload = io.BytesIO(data)
    upload.name = name
    response = bob.post(reverse("profile"), {"name": "Beta Support", "contact": "x", "phone": "", "logo": upload})
    assert response.status_code == 200  # the form again, not a redirect
    html = response.content.decode()
    assert "There is a problem" in html and 'govuk-error-message' in html
    assert words.lower() in html.lower()
    assert set(settings.UPLOADS_DIR.iterdir()) == before


def test_logo_too_large_is_refused(world, monkeypatch):
    from pipeline import limits

    monkeypatch.setattr(limits, "LOGO_BYTES", 1000)  # the one limit, the pipeline's
    bob = client_for(world["bob"])
    upload = io.BytesIO(png_logo())
    upload.name = "big.png"
    response = bob.post(reverse("profile"), {"name": "Beta Support", "contact": "x", "logo": upload})
    assert "the most is" in response.content.decode()


def test_good_logo_is_stored_under_a_generated_name_and_served_with_checks(world, settings):
    bob = client_for(world["bob"])
    upload = io.BytesIO(png_logo())
    upload.name = "../../etc/our logo.png"
    response = bob.post(reverse("profile"), {"name": "Beta Support", "contact": "x", "logo": upload})
    assert response.status_code == 302
    world["b"].refresh_from_db()
    name = world["b"].logo_file
    assert name.endswith(".png") and "logo" not in name and (settings.UPLOADS_DIR / name).is_file()
    served = bob.get(reverse("logo", args=[name]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert "sandbox" in served["Content-Security-Policy"]
    assert client_for(world["alice"]).get(reverse("logo", args=[name])).status_code == 404


def test_security_headers(world):
    response = client_for(world["bob"]).get(reverse("requests"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_login_is_throttled(world):
    c = Client()
    for _ in range(5):
        c.post(reverse("login"), {"username": "bob@beta.example", "password": "wrong"})
    response = c.post(reverse("login"), {"username": "bob@beta.example", "password": PASSWORD})
    assert response.status_code == 429 or b"Too many attempts" in response.content


def test_passwords_are_hashed_with_argon2(world):
    assert world["bob"].password.startswith("argon2")


def test_coordinator_asks_for_changes_then_partner_edits_and_resubmits(world):
    coord, bob, req = client_for(world["coord"]), client_for(world["bob"]), world["req_b"]
    url = reverse("request", args=[req.pk])
    response = coord.post(url, {"decision": "changes", "comment": ""})
    assert "Say what the partner should change" in response.content.decode()
    assert coord.post(url, {"decision": "changes", "comment": "Use your full name"}).status_code == 302
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.CHANGES
    page = bob.get(url).content.decode()
    assert "Use your full name" in page and "Changes asked for" in page
    assert bob.get(reverse("request-edit", args=[req.pk])).status_code == 200
    # while the partner changes it, the coordinator cannot decide it
    assert coord.post(url, {"decision": "approve"}).status_code == 404
    assert AuditEvent.objects.filter(request=req, action="changes-asked").exists()


def test_coordinator_rejects_with_a_reason(world):
    coord, req = client_for(world["coord"]), world["req_b"]
    url = reverse("request", args=[req.pk])
    assert coord.post(url, {"decision": "reject", "comment": "Not a partner of this campaign"}).status_code == 302
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.REJECTED
    assert client_for(world["bob"]).get(reverse("request-edit", args=[req.pk])).status_code == 302


def test_approval_needs_every_unknown_number_confirmed(world, settings):
    from web.portal import printing

    coord, req = client_for(world["coord"]), world["req_b"]
    req.contact = "Beta Support, call 01904 555 123"
    req.save()
    assert printing.unconfirmed_numbers(printing.check(req.printed(confirmed_numbers=[]))) == ["01904 555 123"]
    url = reverse("request", args=[req.pk])
    page = coord.get(url).content.decode()
    assert "01904 555 123 is right" in page
    response = coord.post(url, {"decision": "approve"})
    assert "Confirm each phone number before approving: 01904 555 123" in response.content.decode()
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.SUBMITTED


def test_partner_downloads_only_screen_files_of_a_built_request(world, settings):
    req = world["req_b"]
    folder = settings.OUTPUT_DIR / req.campaign / "partners" / "beta"
    folder.mkdir(parents=True)
    (folder / "leaflet-dl-screen.pdf").write_bytes(b"%PDF-1.7 screen")
    (folder / "leaflet-dl.pdf").write_bytes(b"%PDF-1.7 press")
    req.status = PrintRequest.Status.BUILT
    req.build_outputs = [{"path": "partners/beta/leaflet-dl-screen.pdf", "profile": "screen"},
                         {"path": "partners/beta/leaflet-dl.pdf", "profile": "press", "copies": 100}]
    req.save()
    bob, alice, coord = client_for(world["bob"]), client_for(world["alice"]), client_for(world["coord"])
    screen = reverse("request-file", args=[req.pk, "partners/beta/leaflet-dl-screen.pdf"])
    press = reverse("request-file", args=[req.pk, "partners/beta/leaflet-dl.pdf"])
    assert bob.get(screen).status_code == 200
    assert bob.get(press).status_code == 404
    assert coord.get(press).status_code == 200
    assert alice.get(screen).status_code == 404
    assert bob.get(reverse("request-file", args=[req.pk, "../../../etc/passwd"])).status_code == 404


def test_build_progress_and_rebuild_after_a_failure(world, settings):
    req, coord, bob = world["req_b"], client_for(world["coord"]), client_for(world["bob"])
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.APPROVED, build_done=1, build_total=4)
    status = bob.get(reverse("request-status", args=[req.pk])).json()
    assert status == {"status": "approved", "label": "Approved: building the files", "done": 1, "total": 4,
                      "percent": 25}
    assert 'value="25"' in bob.get(reverse("request", args=[req.pk])).content.decode()
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.FAILED, build_error="disk full")
    url = reverse("request", args=[req.pk])
    assert bob.post(url, {"rebuild": "1"}).status_code == 404
    assert "Build again" in coord.get(url).content.decode()
    assert coord.post(url, {"rebuild": "1"}).status_code == 302
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.APPROVED  # queued (the build runs after the commit)
    assert AuditEvent.objects.filter(request=req, action="rebuild").exists()
