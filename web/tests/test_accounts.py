"""Accounts: one-time password-reset links a coordinator sends a partner, and every
change made in the admin to users, organisations and permissions in the audit log."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from web.portal.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new long passphrase"


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_password_reset_link_works_once(org_factory, user_factory, mailoutbox):
    org = org_factory("Reset Aid")
    pat = user_factory("pat@reset.example", org)
    coord = client_for(user_factory("cora@police.example", coordinator=True))
    page = coord.post(reverse("organisations"), {"reset": pat.pk}).content.decode()
    link = re.search(r'id="reset-link" href="([^"]+)"', page).group(1)
    assert [m.to for m in mailoutbox] == [["pat@reset.example"]] and link in mailoutbox[0].body
    path = link.split("://", 1)[1].split("/", 1)[1]

    visitor = Client()
    assert "Choose a new password" in visitor.get("/" + path).content.decode()
    response = visitor.post("/" + path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD) and not pat.check_password(PASSWORD)
    # once only
    assert Client().get("/" + path).status_code == 404
    assert Client().post("/" + path, {"new_password1": "another long passphrase x",
                                      "new_password2": "another long passphrase x"}).status_code == 404
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD)
    signed_in = Client().post(reverse("login"), {"username": "pat@reset.example", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["reset-link-sent", "password-reset"]


def test_a_new_reset_link_ends_the_earlier_one_and_coordinators_get_none(org_factory, user_factory):
    pat = user_factory("pat@reset.example", org_factory("Reset Aid"))
    other = user_factory("boss@police.example", coordinator=True)
    coord = client_for(user_factory("cora@police.example", coordinator=True))
    first = re.search(r'id="reset-link" href="[^"]+(/invitation/[^"]+)"',
                      coord.post(reverse("organisations"), {"reset": pat.pk}).content.decode()).group(1)
    coord.post(reverse("organisations"), {"reset": pat.pk})
    assert Client().get(first).status_code == 404
    assert coord.post(reverse("organisations"), {"reset": other.pk}).status_code == 404
    assert client_for(pat).post(reverse("organisations"), {"reset": pat.pk}).status_code == 404


def _reset_path(coord, user) -> str:
    page = coord.post(reverse("organisations"), {"reset": user.pk}).content.decode()
    return re.search(r'id="reset-link" href="[^"]+(/invitation/[^"]+)"', page).group(1)


@pytest.mark.parametrize("change", ["made a coordinator", "made a superuser", "given another address", "disabled"])
def test_a_reset_link_ends_when_its_account_is_no_longer_the_partner_it_was_sent_to(org_factory, user_factory,
                                                                                  change):
    # A link mailed to a partner is a way into the account: once the account is a
    # coordinator's, or belongs to another address, or is disabled, the link is dead.
    pat = user_factory("pat@reset.example", org_factory("Reset Aid"))
    path = _reset_path(client_for(user_factory("cora@police.example", coordinator=True)), pat)
    if change == "made a coordinator":
        pat.organisation, pat.is_staff = None, True
    elif change == "made a superuser":
        pat.is_staff = pat.is_superuser = True
    elif change == "given another address":
        pat.email = pat.username = "sam@reset.example"
    else:
        pat.is_active = False
    pat.save()
    visitor = Client()
    assert visitor.get(path).status_code == 404
    assert visitor.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 404
    pat.refresh_from_db()
    assert pat.check_password(PASSWORD) and "_auth_user_id" not in visitor.session


def test_a_partner_user_who_is_also_staff_gets_no_reset_link(org_factory, user_factory):
    pat = user_factory("pat@reset.example", org_factory("Reset Aid"))
    pat.is_staff = True
    pat.save()
    coord = client_for(user_factory("cora@police.example", coordinator=True))
    assert coord.post(reverse("organisations"), {"reset": pat.pk}).status_code == 404


@pytest.fixture
def admin_client_for(user_factory):
    boss = user_factory("root@police.example", coordinator=True)
    boss.is_superuser = True
    boss.save()
    return client_for(boss)


def _user_form(user, **changes):
    data = {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "is_active": "on", "organisation": user.organisation_id or "",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "date_joined_1": "12:00:00",
            "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "initial-date_joined_1": "12:00:00"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_changes_to_users_reach_the_audit_log(org_factory, user_factory, admin_client_for):
    a, b = org_factory("Alpha Aid"), org_factory("Beta Support")
    pat = user_factory("pat@alpha.example", a)
    url = reverse("admin:portal_user_change", args=[pat.pk])
    response = admin_client_for.post(url, _user_form(pat, organisation=b.pk, is_staff="on", is_superuser="on"))
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="admin-changed")
    assert event.actor.email == "root@police.example" and event.detail["object"] == pat.username
    changes = event.detail["changes"]
    assert changes["organisation"] == ["Alpha Aid", "Beta Support"]
    assert changes["is_staff"] == [False, True] and changes["is_superuser"] == [False, True]

    response = admin_client_for.post(reverse("admin:auth_user_password_change", args=[pat.pk]),
                                     {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                      "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:3000]
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="admin-password-set")
    assert event.detail["object"] == pat.username and NEW_PASSWORD not in str(event.detail)


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_admin_refuses_direction_controls_in_a_users_name(org_factory, user_factory, admin_client_for, field):
    # A coordinator's name is shown in the queue, the audit log and every e-mail the
    # portal sends: an override there reads "0808 802 0300" backwards, as in a note.
    pat = user_factory("pat@alpha.example", org_factory("Alpha Aid"))
    url = reverse("admin:portal_user_change", args=[pat.pk])
    response = admin_client_for.post(url, _user_form(pat, **{field: "Pat \u202e0030 208 8080"}))
    assert response.status_code == 200 and "U+202E" in response.content.decode()
    pat.refresh_from_db()
    assert "\u202e" not in getattr(pat, field)
    assert not AuditEvent.objects.filter(action="admin-changed").exists()


def test_a_requests_history_cannot_be_rewritten_in_the_admin(org_factory, user_factory, admin_client_for, offer):
    # Comments are a request's history (who approved, who asked for what): the admin
    # shows them, and changes, adds or deletes none, as with the requests themselves.
    import datetime

    from web.portal.models import Comment, PrintRequest

    org = org_factory("Alpha Aid")
    pat = user_factory("pat@alpha.example", org)
    req = PrintRequest.objects.create(
        organisation=org, created_by=pat, campaign=offer.slug, products=[offer.products[0]],
        copies={offer.products[0]: 10}, printed_name="Alpha Aid", contact="Alpha Aid, weekdays", phone="",
        delivery_address="1 Road, York", needed_by=datetime.date(2027, 1, 1))
    comment = Comment.objects.create(request=req, author=pat, action="submitted", text="Please print 10")
    url = reverse("admin:portal_comment_change", args=[comment.pk])
    assert admin_client_for.get(url).status_code == 200  # shown
    response = admin_client_for.post(url, {"request": req.pk, "author": pat.pk, "action": "approve",
                                           "text": "Approved by phone"})
    assert response.status_code == 403
    assert admin_client_for.post(reverse("admin:portal_comment_delete", args=[comment.pk]),
                                 {"post": "yes"}).status_code == 403
    assert admin_client_for.get(reverse("admin:portal_comment_add")).status_code == 403
    comment.refresh_from_db()
    assert (comment.action, comment.text) == ("submitted", "Please print 10")


def test_a_password_set_in_the_admin_ends_the_accounts_unused_reset_links(org_factory, user_factory,
                                                                          admin_client_for):
    pat = user_factory("pat@alpha.example", org_factory("Alpha Aid"))
    path = _reset_path(client_for(user_factory("cora@police.example", coordinator=True)), pat)
    response = admin_client_for.post(reverse("admin:auth_user_password_change", args=[pat.pk]),
                                     {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302
    assert Client().get(path).status_code == 404
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD)


def test_the_admin_cannot_point_a_reset_link_at_another_account(org_factory, user_factory, admin_client_for):
    from web.portal.models import Invitation

    pat = user_factory("pat@alpha.example", org_factory("Alpha Aid"))
    cora = user_factory("cora@police.example", coordinator=True)
    invitation, _ = Invitation.issue_reset(pat, by=cora)
    admin_client_for.post(reverse("admin:portal_invitation_change", args=[invitation.pk]), {"user": cora.pk})
    invitation.refresh_from_db()
    assert invitation.user == pat


def test_admin_changes_to_organisations_and_permissions_reach_the_audit_log(org_factory, admin_client_for):
    org = org_factory("Gamma Aid")
    url = reverse("admin:portal_organisation_change", args=[org.pk])
    response = admin_client_for.post(url, {"name": "Gamma Aid Trust", "partner_id": org.partner_id,
                                           "contact": org.contact, "phone": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="admin-changed")
    assert event.organisation == org and event.detail["changes"]["name"] == ["Gamma Aid", "Gamma Aid Trust"]

    permission = Permission.objects.get(codename="change_organisation")
    response = admin_client_for.post(reverse("admin:auth_group_add"), {"name": "Editors",
                                                                       "permissions": [permission.pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="admin-added")
    assert event.detail["object"] == "Editors" and event.detail["changes"]["permissions"]
    group = Group.objects.get(name="Editors")
    response = admin_client_for.post(reverse("admin:auth_group_change", args=[group.pk]),
                                     {"name": "Editors", "permissions": []})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="admin-changed").latest("id")
    old, new = event.detail["changes"]["permissions"]
    assert old and new == []


def test_links_use_one_base_url_that_follows_the_bound_address(settings, user_factory, org_factory):
    from web.settings.base import base_url

    assert base_url({}) == "http://127.0.0.1:8000"
    assert base_url({"PORTAL_BIND": "127.0.0.1:8123"}) == "http://127.0.0.1:8123"
    assert base_url({"PORTAL_BIND": "127.0.0.1:8123", "PORTAL_BASE_URL": "https://print.example.org/"}) \
        == "https://print.example.org"
    settings.PORTAL_BASE_URL = base_url({"PORTAL_BIND": "127.0.0.1:8123"})
    coord = client_for(user_factory("cora@police.example", coordinator=True))
    page = coord.post(reverse("organisations"), {"new_name": "Delta Aid", "new_partner_id": "delta-aid",
                                                 "email": "dee@delta.example"}).content.decode()
    assert re.search(r'id="invitation-link" href="http://127\.0\.0\.1:8123/invitation/', page)
    pat = user_factory("pat@delta.example", org_factory("Delta Two"))
    page = coord.post(reverse("organisations"), {"reset": pat.pk}).content.decode()
    assert re.search(r'id="reset-link" href="http://127\.0\.0\.1:8123/invitation/', page)


def test_admin_deletion_reaches_the_audit_log(org_factory, admin_client_for):
    from web.portal.models import Organisation

    org = org_factory("Short-lived Aid")
    response = admin_client_for.post(reverse("admin:portal_organisation_delete", args=[org.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=org.pk).exists()
    event = AuditEvent.objects.get(action="admin-deleted")
    assert event.detail["object"] == "Short-lived Aid" and event.organisation is None
