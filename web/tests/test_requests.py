"""A request is the unit of work: its own files, copies and tracking code; approval
and queueing succeed or fail together; the portal keeps working with the cache down."""
from __future__ import annotations

import csv
import datetime
import hashlib
import html
import io
import re
import socket
import time

import pytest
from django.test import Client
from django.urls import reverse

from web.portal.models import AuditEvent, PrintRequest

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def two_requests(org_factory, user_factory, with_logo, offer):
    org = with_logo(org_factory("Harbour Aid"))
    partner = user_factory("hana@harbour.example", org)
    coord = user_factory("cora@police.example", coordinator=True)

    def make(copies, contact):
        return PrintRequest.objects.create(
            organisation=org, created_by=partner, campaign=offer.slug, products=["leaflet-dl"],
            copies={"leaflet-dl": copies}, printed_name="Harbour Aid", contact=contact, phone="",
            logo_file=org.logo_file, delivery_address="1 Quay, Whitby", needed_by=datetime.date(2027, 1, 15),
            status=PrintRequest.Status.SUBMITTED)

    return {"org": org, "partner": partner, "coord": coord,
            "first": make(25, "Harbour Aid, Whitby office"), "second": make(100, "Harbour Aid, Scarborough office")}


def _screen_download(client, req) -> bytes:
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.BUILT, req.build_error
    (screen,) = [o["path"] for o in req.screen_outputs()]
    response = client.get(reverse("request-file", args=[req.pk, screen]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("order", [("first", "second"), ("second", "first")])
def test_two_requests_of_one_organisation_keep_their_own_files_and_copies(order, two_requests, settings, offer,
                                                                         django_capture_on_commit_callbacks):
    coord, partner = client_for(two_requests["coord"]), client_for(two_requests["partner"])
    earlier, later = (two_requests[name] for name in order)
    with django_capture_on_commit_callbacks(execute=True):
        assert coord.post(reverse("request", args=[earlier.pk]), {"decision": "approve"}).status_code == 302
    earlier_pdf = _screen_download(partner, earlier)
    with django_capture_on_commit_callbacks(execute=True):
        assert coord.post(reverse("request", args=[later.pk]), {"decision": "approve"}).status_code == 302
    later_pdf = _screen_download(partner, later)

    # each download is its own request's PDF, and the first is as it was before the second
    assert hashlib.sha256(earlier_pdf).digest() != hashlib.sha256(later_pdf).digest()
    assert _screen_download(partner, earlier) == earlier_pdf
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert earlier.partner_id != later.partner_id
    assert not {o["path"] for o in earlier.build_outputs} & {o["path"] for o in later.build_outputs}

    # the print order lists both requests with their own copies
    with open(settings.OUTPUT_DIR / offer.slug / "print-order.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["product"] == "leaflet-dl"]
    copies = {r["partner"]: int(r["copies"]) for r in rows}
    assert copies[earlier.partner_id] == earlier.copies["leaflet-dl"]
    assert copies[later.partner_id] == later.copies["leaflet-dl"]

    # and each has its own partner file, which the pipeline reads without the portal
    folder = settings.CONTENT_DIR / "partners" / offer.slug
    assert {earlier.partner_id, later.partner_id} <= {p.stem for p in folder.glob("*.yaml")}
    assert earlier.contact in (folder / f"{earlier.partner_id}.yaml").read_text()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens there


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The production configuration, the queue and the cache on Redis, pointing at a
    port nobody listens on (the real Redis, if any, is left alone)."""
    from huey.utils import load_class

    from web.portal import tasks
    from web.settings.base import cache_settings, huey_settings

    url = f"redis://127.0.0.1:{_closed_port()}/0"
    config = huey_settings(url)
    huey = load_class(config["huey_class"])(config["name"], url=config["url"], immediate=False)
    monkeypatch.setattr(tasks.build_request, "huey", huey)
    settings.CACHES = cache_settings(url)
    return url


def test_healthz_says_which_part_is_down(redis_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    state = response.json()
    assert state["down"] == ["queue", "cache"] and state["database"]["ok"]
    assert "ConnectionError" in state["queue"]["error"] and "ConnectionError" in state["cache"]["error"]


def test_queue_down_approval_is_not_saved_and_works_once_it_is_back(two_requests, redis_down, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    from web.portal import tasks

    coord, req = client_for(two_requests["coord"]), two_requests["first"]
    response = coord.post(reverse("request", args=[req.pk]), {"decision": "approve"})
    assert response.status_code == 503
    assert "The build queue cannot be reached" in response.content.decode()
    assert "still waiting for review" in response.content.decode()
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.SUBMITTED and req.decided_by is None
    assert not AuditEvent.objects.filter(request=req, action="approved").exists()
    assert not req.comments.exists()

    monkeypatch.undo()  # the queue is back
    assert tasks.build_request.huey.immediate
    with django_capture_on_commit_callbacks(execute=True):
        assert coord.post(reverse("request", args=[req.pk]), {"decision": "approve"}).status_code == 302
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.BUILT, req.build_error
    assert list(AuditEvent.objects.filter(request=req).values_list("action", flat=True)) == ["built", "approved"]


def test_a_build_that_did_not_finish_can_be_built_again(two_requests, redis_down, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    coord, req = client_for(two_requests["coord"]), two_requests["first"]
    # approved, but its task was lost (the queue restarted empty): it would wait for ever
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.APPROVED)
    page = coord.get(reverse("request", args=[req.pk])).content.decode()
    assert "Build again" in page

    response = coord.post(reverse("request", args=[req.pk]), {"rebuild": "1"}, follow=True)
    assert "The build queue cannot be reached" in response.content.decode()
    assert not AuditEvent.objects.filter(request=req, action="rebuild").exists()

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        coord.post(reverse("request", args=[req.pk]), {"rebuild": "1"})
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.BUILT, req.build_error
    assert AuditEvent.objects.filter(request=req, action="rebuild").exists()


def test_live_proof_works_with_the_cache_down(two_requests, redis_down):
    req = two_requests["first"]
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.DRAFT)
    partner = client_for(two_requests["partner"])
    response = partner.post(reverse("proof", args=[req.pk, "leaflet-dl"]),
                            {"printed_name": "Harbour Aid", "contact": "Harbour Aid, Whitby"})
    assert response.status_code == 200
    assert len(response.json()["pages"]) == 2


def test_needed_by_date_survives_save_draft(two_requests):
    req = two_requests["first"]
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.DRAFT)
    partner = client_for(two_requests["partner"])
    needed = datetime.date.today() + datetime.timedelta(days=40)
    form = {"printed_name": "Harbour Aid", "contact": "Harbour Aid, Whitby office", "phone": "",
            "products": ["leaflet-dl"], "copies_leaflet-dl": "25", "delivery_address": "1 Quay, Whitby",
            "needed_by": needed.isoformat(), "notes": "", "save": "1"}
    url = reverse("request-edit", args=[req.pk])
    assert partner.post(url, form).status_code == 302
    page = partner.get(url).content.decode()
    # what a date input can show: the ISO date, not 15/01/2027
    assert re.search(rf'<input type="date" name="needed_by" value="{needed.isoformat()}"', page), page
    # and sent again as it came back, it is still accepted
    value = re.search(r'name="needed_by" value="([^"]*)"', page).group(1)
    assert partner.post(url, {**form, "needed_by": value}).status_code == 302
    req.refresh_from_db()
    assert req.needed_by == needed


RLO, LRI, ZWSP = "\u202e", "\u2066", "\u200b"


def test_every_text_field_refuses_direction_controls_and_invisible_characters(two_requests, org_factory,
                                                                              user_factory):
    req = two_requests["first"]
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.DRAFT)
    partner, coord = client_for(two_requests["partner"]), client_for(two_requests["coord"])
    needed = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()
    form = {"printed_name": "Harbour Aid", "contact": "Harbour Aid, Whitby", "products": ["leaflet-dl"],
            "copies_leaflet-dl": "25", "delivery_address": "1 Quay\r\nWhitby", "needed_by": needed,
            "notes": f"Call {RLO}0808 802 0300", "save": "1"}
    page = partner.post(reverse("request-edit", args=[req.pk]), form).content.decode()
    assert "direction control U+202E" in page
    req.refresh_from_db()
    assert RLO not in req.notes
    # line breaks from a text area are line breaks, not control characters
    assert partner.post(reverse("request-edit", args=[req.pk]), {**form, "notes": "Ring first\r\nthanks"}
                        ).status_code == 302

    page = partner.post(reverse("profile"), {"name": f"Harbour{ZWSP} Aid", "contact": "Whitby",
                                             "phone": ""}).content.decode()
    assert "invisible or control character U+200B" in page
    assert PrintRequest.objects.get(pk=req.pk).organisation.name == "Harbour Aid"

    page = coord.post(reverse("organisations"), {"new_name": f"{LRI}Evil Aid", "new_partner_id": "evil-aid",
                                                 "email": "eve@evil.example"}).content.decode()
    assert "direction control U+2066" in page
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.SUBMITTED)
    page = coord.post(reverse("request", args=[req.pk]), {"text": f"0300{RLO}"}).content.decode()
    assert "direction control U+202E" in page and not req.comments.exists()

    # the admin's organisation form too (the model's own rule)
    boss = user_factory("root@police.example", coordinator=True)
    boss.is_superuser = True
    boss.save()
    org = two_requests["org"]
    page = client_for(boss).post(reverse("admin:portal_organisation_change", args=[org.pk]),
                                 {"name": f"Harbour {RLO}Aid", "partner_id": org.partner_id,
                                  "contact": org.contact, "phone": ""}).content.decode()
    assert "direction control U+202E" in page
    org.refresh_from_db()
    assert org.name == "Harbour Aid"


def _summary(page: str) -> list[str]:
    block = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', page, re.S).group(1)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_error_summary_names_each_field(two_requests):
    req = two_requests["first"]
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.DRAFT)
    partner = client_for(two_requests["partner"])
    page = partner.post(reverse("request-edit", args=[req.pk]),
                        {"printed_name": "", "contact": "", "products": ["leaflet-dl"], "copies_leaflet-dl": "5",
                         "delivery_address": "", "needed_by": "", "save": "1"}).content.decode()
    lines = _summary(page)
    assert len(lines) == 4 and len(set(lines)) == 4, lines
    for label in ("Your organisation's name, as printed", "Contact line", "Delivery address", "Needed by"):
        assert any(line.startswith(label) for line in lines), lines


def test_sign_in_error_says_email_address(two_requests):
    page = Client().post(reverse("login"), {"username": "hana@harbour.example", "password": "wrong"}
                         ).content.decode()
    assert "email address" in " ".join(_summary(page))
    assert "username" not in html.unescape(re.sub(r"<[^>]+>", " ", page)).lower()


def test_svg_refusal_is_in_partner_terms(two_requests):
    upload = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    upload.name = "our-logo.svg"
    page = client_for(two_requests["partner"]).post(
        reverse("profile"), {"name": "Harbour Aid", "contact": "Whitby", "phone": "", "logo": upload}).content.decode()
    (line,) = _summary(page)
    assert line.startswith("Logo: This SVG logo cannot be printed safely")
    assert "PNG or JPEG at 300 pixels per inch" in line and "<script>" in line  # the detail, for the designer


def test_a_logo_carrying_a_qr_code_is_refused_in_partner_terms(two_requests):
    import qrcode.image.svg

    upload = io.BytesIO(qrcode.make("https://evil.example/help", image_factory=qrcode.image.svg.SvgPathImage)
                        .to_string())
    upload.name = "our-logo.svg"
    page = client_for(two_requests["partner"]).post(
        reverse("profile"), {"name": "Harbour Aid", "contact": "Whitby", "phone": "", "logo": upload}).content.decode()
    (line,) = _summary(page)
    assert line.startswith("Logo: This logo carries a QR code or barcode. A logo may not carry one: the leaflet's "
                           "only code is the campaign's.")
    assert "https://evil.example/help" in line  # the detail, for the designer


def test_queue_shows_product_names(two_requests):
    page = client_for(two_requests["coord"]).get(reverse("queue")).content.decode()
    assert "25 × DL leaflet (folds to 99 × 210 mm)" in html.unescape(page)
    assert "× leaflet-dl" not in page


def test_a_worker_that_takes_the_task_before_the_approval_commits_waits_for_it(two_requests):
    """The build is queued inside the approval's transaction: a worker on another
    machine may see the task before it sees the approval, and must try again, not
    drop it; a task whose approval never committed is dropped in the end."""
    from huey.exceptions import RetryTask

    from web.portal.tasks import COMMIT_WAIT, build_request

    req = two_requests["first"]  # still "submitted": the approval not yet visible
    with pytest.raises(RetryTask):
        build_request.call_local(req.pk, None, queued_at=time.time())
    assert build_request.call_local(req.pk, None, queued_at=time.time() - COMMIT_WAIT - 1) == "submitted"
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.SUBMITTED and not req.build_outputs


def test_a_request_whose_tracking_name_would_clash_gets_its_plain_number(org_factory, user_factory, with_logo,
                                                                          offer, django_capture_on_commit_callbacks):
    """Ids over 7 characters are shortened in QR tracking codes (4 characters and a
    3-character hash): should two requests' short forms meet, the second is named by
    its number alone, so `campaign-print build` never sees two variants with one code."""
    from pipeline.content import load_campaigns
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
    from pipeline.qr import short_name

    first_org = with_logo(org_factory("Alpha Aid", partner_id="alpha-aid"))
    target = short_name("r1000-alpha-aid")
    second_id = next(f"beta-{n}" for n in range(1_000_000) if short_name(f"r1001-beta-{n}") == target)
    second_org = with_logo(org_factory("Beta Aid", partner_id=second_id))
    coord = client_for(user_factory("cora@police.example", coordinator=True))
    requests = []
    for pk, org in ((1000, first_org), (1001, second_org)):
        who = user_factory(f"someone@{org.partner_id}.example", org)
        requests.append(PrintRequest.objects.create(
            pk=pk, organisation=org, created_by=who, campaign=offer.slug, products=["leaflet-dl"],
            copies={"leaflet-dl": 10}, printed_name=org.name, contact=f"{org.name}, weekdays", phone="",
            logo_file=org.logo_file, delivery_address="York", needed_by=datetime.date(2027, 1, 15),
            status=PrintRequest.Status.SUBMITTED))
        with django_capture_on_commit_callbacks(execute=True):
            coord.post(reverse("request", args=[pk]), {"decision": "approve"})
    # the whole campaign plans, as `campaign-print build` would (a clash raises)
    jobs = plan(load_campaigns([offer.path]), load_layouts(), select_profiles(load_profiles(), None))
    first, second = (PrintRequest.objects.get(pk=r.pk) for r in requests)
    assert (first.partner_id, second.partner_id) == ("r1000-alpha-aid", "r1001")
    assert first.status == second.status == PrintRequest.Status.BUILT, second.build_error
    codes = {j.tracking_code for j in jobs if j.partner and j.partner.id in ("r1000-alpha-aid", "r1001")}
    assert len(codes) >= 2


def test_the_pipeline_makes_the_same_bytes_without_the_portal(two_requests, tmp_path, offer,
                                                               django_capture_on_commit_callbacks):
    from pipeline.partners import build_partner

    coord, partner, req = client_for(two_requests["coord"]), client_for(two_requests["partner"]), two_requests["first"]
    with django_capture_on_commit_callbacks(execute=True):
        coord.post(reverse("request", args=[req.pk]), {"decision": "approve"})
    portal_pdf = _screen_download(partner, req)
    # what `campaign-print build --partner <id>` does, from the files in content/partners/ only
    build_partner(offer.path, req.partner_id, out_dir=tmp_path / "cli")
    (screen,) = [o["path"] for o in req.screen_outputs()]
    assert (tmp_path / "cli" / offer.slug / screen).read_bytes() == portal_pdf


def test_a_contact_line_giving_an_address_not_the_campaigns_nor_the_partners_own_site_cannot_be_submitted(
        two_requests):
    """The portal checks a request's web addresses with the pipeline's one function
    (content.check_partner): only the campaign's sites and the partner's declared one."""
    req = two_requests["first"]
    PrintRequest.objects.filter(pk=req.pk).update(status=PrintRequest.Status.DRAFT)
    partner = client_for(two_requests["partner"])
    needed = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()
    form = {"printed_name": "Harbour Aid", "contact": "Harbour Aid, see Harbour-Aid.Org", "phone": "", "web": "",
            "products": ["leaflet-dl"], "copies_leaflet-dl": "25", "delivery_address": "1 Quay, Whitby",
            "needed_by": needed, "notes": "", "submit": "1"}
    url = reverse("request-edit", args=[req.pk])
    page = html.unescape(partner.post(url, form).content.decode())
    assert "the web address 'Harbour-Aid.Org' is not one of the campaign's web addresses" in page, page
    assert "declared as web:" in page
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.DRAFT
    assert partner.post(url, {**form, "web": "www.harbour-aid.org"}).status_code == 302
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.SUBMITTED and req.web == "www.harbour-aid.org"
    assert req.printed().web == "www.harbour-aid.org"
