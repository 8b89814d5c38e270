"""The portal's workflow: each action with its audit event, in one transaction.
People: invite, join, send a password-reset link, set a new password, change an
organisation's profile. Requests: start, submit, approve, ask for changes, reject,
build again, comment, download a file. The views (views.py) call these and turn the
outcome into pages and messages; nothing here reads a request or writes a response.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import printing
from .models import AuditEvent, Comment, Invitation, Organisation, PrintRequest, User
from .tasks import queue_build

Status = PrintRequest.Status
DECISIONS = {"approve": Status.APPROVED, "changes": Status.CHANGES, "reject": Status.REJECTED}
DECISION_EVENTS = {"approve": "approved", "changes": "changes-asked", "reject": "rejected"}
REBUILDABLE = (Status.FAILED, Status.APPROVED)


class NotWaiting(Exception):
    """The request is no longer waiting for review (another coordinator decided first)."""


class LinkUsed(Exception):
    """A one-time link used already (twice at the same moment: the second finds it used)."""


# -- people ---------------------------------------------------------------------------------

def _name(user) -> str:
    return user.get_full_name() or user.email


def invite(by, email: str, organisation: Organisation | None, new_name: str = "", new_partner_id: str = "") -> str:
    """A coordinator invites a person to an organisation (a new one when none is given):
    the one-time link, also sent by mail."""
    with transaction.atomic():
        org = organisation or Organisation.objects.create(name=new_name, partner_id=new_partner_id)
        invitation, token = Invitation.issue(email, org, by=by)
        AuditEvent.record(by, "invited", organisation=org, email=invitation.email)
    link = Invitation.link(token)
    send_mail(f"You are invited to the campaign print portal for {org.name}",
              f"{_name(by)} invited you to order campaign leaflets for {org.name}.\n\nChoose your password "
              f"here (the link works once, for {settings.INVITATION_DAYS} days):\n\n{link}\n",
              settings.DEFAULT_FROM_EMAIL, [invitation.email])
    return link


def resettable(user) -> bool:
    """A partner user, and nothing more: a reset link never opens a coordinator's or
    an admin's account (sent to a partner, it dies if the account is promoted)."""
    return user.is_partner and not user.is_staff and not user.is_superuser


def send_reset(by, user) -> str:
    """A one-time password-reset link for a partner user (resettable), also sent by
    mail; an earlier one stops working."""
    with transaction.atomic():
        _, token = Invitation.issue_reset(user, by=by)
        AuditEvent.record(by, "reset-link-sent", organisation=user.organisation, email=user.email)
    link = Invitation.link(token)
    send_mail("Set a new password for the campaign print portal",
              f"{_name(by)} sent you a link to choose a new password for {user.email}.\n\nThe link works once, "
              f"for {settings.RESET_DAYS} days:\n\n{link}\n\nIf you did not ask for it, tell your coordinator.\n",
              settings.DEFAULT_FROM_EMAIL, [user.email])
    return link


def _use(invitation) -> None:
    """Mark a link used, once: a second use at the same moment finds it used."""
    if Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=timezone.now()) != 1:
        raise LinkUsed


def join(invitation, form) -> User:
    """The invited person's account (form: AcceptInvitationForm), made once, with the
    link marked used. LinkUsed, or IntegrityError if the address joined meanwhile."""
    user = form.user
    with transaction.atomic():
        _use(invitation)
        user.first_name = form.cleaned_data["first_name"]
        user.last_name = form.cleaned_data["last_name"]
        if invitation.for_coordinator:
            user.is_superuser = not User.objects.filter(is_superuser=True).exists()
        form.save()
        AuditEvent.record(user, "joined", organisation=invitation.organisation,
                          role="coordinator" if invitation.for_coordinator else "partner")
    return user


def reset_password(invitation, form) -> User:
    """A new password from a reset link (form: ResetPasswordForm); it also lifts a
    sign-in lockout. LinkUsed if the link was used meanwhile."""
    from axes.utils import reset as axes_reset

    user = form.user
    with transaction.atomic():
        _use(invitation)
        form.save()
        AuditEvent.record(user, "password-reset", organisation=user.organisation,
                          link_by=invitation.created_by.email if invitation.created_by else None)
    axes_reset(username=user.username)  # a locked-out partner can sign in with the new password
    return user


def save_profile(user, form) -> Organisation:
    """A partner changes its organisation's name, contact line, phone, site or logo (form: ProfileForm)."""
    with transaction.atomic():
        org = form.save()
        AuditEvent.record(user, "profile-changed", organisation=org,
                          logo=org.logo_original_name if form.cleaned_data.get("logo") else None)
    return org


def download(user, req, path: str) -> Path | None:
    """A built file of the request, for whoever may have it (screen files for the
    partner, press files for coordinators only), recorded; None for anything else."""
    entry = next((o for o in req.build_outputs if o["path"] == path), None)
    if req.status != Status.BUILT or entry is None:
        return None
    if entry["profile"] != "screen" and not user.is_coordinator:
        return None  # press files go to the printer, not to partners
    file = printing.output_file(req.campaign, path)
    if file is not None:
        AuditEvent.record(user, "downloaded", request=req, path=path)
    return file


# -- requests -------------------------------------------------------------------------------


def start(user, offer) -> PrintRequest:
    """A partner's new draft for a campaign, filled from their organisation's profile."""
    org = user.organisation
    req = PrintRequest.objects.create(
        organisation=org, created_by=user, campaign=offer.slug, products=[], copies={},
        printed_name=org.name, contact=org.contact, phone=org.phone, web=org.web, delivery_address="",
        needed_by=timezone.localdate() + timezone.timedelta(days=28))
    AuditEvent.record(user, "request-started", request=req, campaign=offer.slug)
    return req


def submission_errors(req, org) -> list[str]:
    """Why a draft cannot be submitted yet (none: it can): the organisation's logo, then
    the pipeline's errors (a number waiting for a coordinator's confirmation is not one)."""
    if not org.logo_file:
        return ["Upload your organisation's logo (Your organisation) before you submit"]
    return [f"{p['what']}. {p['hint']}".strip() for p in printing.check(req.printed())
            if p["level"] == "error" and p["check"] != "unconfirmed-number"]


def submit(user, req) -> None:
    """The partner sends the request for review."""
    req.status, req.submitted_at = Status.SUBMITTED, timezone.now()
    with transaction.atomic():
        req.save()
        Comment.objects.create(request=req, author=user, action="submitted")
        AuditEvent.record(user, "submitted", request=req, products=req.products, copies=req.copies)


def approval_blockers(req, confirmed_numbers) -> list[dict]:
    """The pipeline's errors with these numbers confirmed: any one stops an approval."""
    return [p for p in printing.check(req.printed(confirmed_numbers=confirmed_numbers)) if p["level"] == "error"]


def decide(user, req, decision: str, comment: str, numbers) -> PrintRequest:
    """A coordinator's decision ("approve", "changes" or "reject") on a request waiting
    for review. Approving fixes the partner id and queues the build, last: if the queue
    is down (tasks.QueueDown), nothing of the decision is saved. NotWaiting if another
    decision came first."""
    with transaction.atomic():
        locked = PrintRequest.objects.select_for_update().get(pk=req.pk)
        if locked.status not in PrintRequest.REVIEWABLE:
            raise NotWaiting
        locked.status, locked.decided_by, locked.decided_at = DECISIONS[decision], user, timezone.now()
        if decision == "approve":
            locked.confirmed_numbers = numbers
            # fixed from now on, whatever the organisation is renamed to
            locked.partner_id = locked.partner_id or printing.partner_id_for(
                locked.campaign, locked.pipeline_id, f"r{locked.pk}")
            locked.build_done, locked.build_total, locked.build_error = 0, 0, ""
        locked.save()
        Comment.objects.create(request=locked, author=user, action=decision, text=comment)
        AuditEvent.record(user, DECISION_EVENTS[decision],
                          request=locked, products=locked.products, copies=locked.copies,
                          confirmed_numbers=locked.confirmed_numbers if decision == "approve" else [],
                          comment=comment[:500])
        if decision == "approve":
            queue_build(locked.pk, user.pk)  # last: if it fails, none of the above is saved
    return locked


def rebuild(user, req) -> bool:
    """A coordinator builds an approved or failed request's files again; False if it is
    in neither state by now. Raises tasks.QueueDown (nothing changed) if the queue is down."""
    with transaction.atomic():
        updated = PrintRequest.objects.filter(pk=req.pk, status__in=REBUILDABLE).update(
            status=Status.APPROVED, build_done=0, build_total=0, build_error="")
        if updated:
            AuditEvent.record(user, "rebuild", request=req)
            queue_build(req.pk, user.pk)
    return bool(updated)


def comment(user, req, text: str) -> Comment:
    """A comment on the request's conversation."""
    made = Comment.objects.create(request=req, author=user, text=text)
    AuditEvent.record(user, "commented", request=req)
    return made
