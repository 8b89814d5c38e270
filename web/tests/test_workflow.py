"""The portal's workflow (web/portal/workflow.py, issue 22): each action, made through
the pages, records its audit event; views stay thin (no module in web/ over ~500
lines); products are named as layouts/products.yaml names them."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from pipeline.plan import load_layouts
from web.portal.models import AuditEvent, Invitation, PrintRequest

from .conftest import PASSWORD, png_logo

pytestmark = pytest.mark.django_db
WEB = Path(__file__).resolve().parents[1]


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_invite_join_profile_each_recorded(user_factory, mailoutbox):
    coord = user_factory("cora@police.example", coordinator=True)
    page = client_for(coord).post(reverse("organisations"), {
        "new_name": "Moor Support", "new_partner_id": "moor-support", "email": "Mo@Moor.example"})
    assert page.status_code == 200
    [invited] = events("invited")
    assert invited.actor == coord and invited.detail == {"email": "mo@moor.example"}
    assert invited.organisation.name == "Moor Support"
    link = re.search(r"http://\S+/invitation/(\S+)/", mailoutbox[0].body)
    token = link.group(1)

    joining = Client()
    answer = joining.post(reverse("accept-invitation", args=[token]), {
        "first_name": "Mo", "last_name": "Moor", "new_password1": PASSWORD, "new_password2": PASSWORD})
    assert answer.status_code == 302
    [joined] = events("joined")
    assert joined.actor.email == "mo@moor.example" and joined.detail == {"role": "partner"}
    assert Invitation.find(token) is None, "the link works once"

    logo = png_logo()
    from django.core.files.uploadedfile import SimpleUploadedFile

    saved = joining.post(reverse("profile"), {"name": "Moor Support", "contact": "Open weekdays", "phone": "",
                                              "logo": SimpleUploadedFile("our logo.png", logo)})
    assert saved.status_code == 302
    [changed] = events("profile-changed")
    assert changed.detail == {"logo": "our logo.png"} and changed.organisation == joined.organisation


def test_download_is_recorded_and_press_files_stay_with_coordinators(org_factory, user_factory, offer, settings):
    org = org_factory("Harbour Aid")
    partner = user_factory("hana@harbour.example", org)
    coord = user_factory("cora@police.example", coordinator=True)
    screen, press = "partners/r1-harbour/leaflet-dl-screen.pdf", "partners/r1-harbour/leaflet-dl.pdf"
    for path in (screen, press):
        file = settings.OUTPUT_DIR / offer.slug / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"%PDF-1.7 " + path.encode())
    req = PrintRequest.objects.create(
        organisation=org, created_by=partner, campaign=offer.slug, products=["leaflet-dl"],
        copies={"leaflet-dl": 25}, printed_name="Harbour Aid", contact="Whitby", delivery_address="1 Quay",
        needed_by=datetime.date(2027, 1, 15), status=PrintRequest.Status.BUILT,
        build_outputs=[{"path": screen, "profile": "screen"}, {"path": press, "profile": "press"}])
    got = client_for(partner).get(reverse("request-file", args=[req.pk, screen]))
    assert got.status_code == 200 and b"".join(got.streaming_content).endswith(screen.encode())
    assert client_for(partner).get(reverse("request-file", args=[req.pk, press])).status_code == 404
    assert client_for(coord).get(reverse("request-file", args=[req.pk, press])).status_code == 200
    assert [(e.actor, e.detail["path"]) for e in reversed(events("downloaded"))] == [(partner, screen),
                                                                                     (coord, press)]


def test_products_are_named_as_products_yaml_names_them(org_factory, user_factory, with_logo, offer):
    org = with_logo(org_factory("Harbour Aid"))
    partner = user_factory("hana@harbour.example", org)
    req = PrintRequest.objects.create(
        organisation=org, created_by=partner, campaign=offer.slug, products=["leaflet-dl"], copies={},
        printed_name="Harbour Aid", contact="Whitby", delivery_address="", needed_by=datetime.date(2027, 1, 15))
    page = client_for(partner).get(reverse("request-edit", args=[req.pk])).content.decode()
    names = {key: spec.name for key, spec in load_layouts().products.items()}
    for product in offer.products:
        assert f"Copies of the {names[product]}" in page.replace("&#x27;", "'")


def test_no_module_in_web_is_over_500_lines():
    long = {str(p.relative_to(WEB)): n for p in WEB.rglob("*.py")
            if "node_modules" not in p.parts and (n := len(p.read_text().splitlines())) > 500}
    assert not long, long
