"""The portal's workflow: what can happen to a print request (start, submit, approve, ask
for changes, reject, build again, comment), each action with its audit event, in one
transaction. The views (views.py) call these and turn the outcome into pages and
messages; nothing here reads a request or writes a response.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import printing
from .models import AuditEvent, Comment, PrintRequest
from .tasks import queue_build

Status = PrintRequest.Status
DECISIONS = {"approve": Status.APPROVED, "changes": Status.CHANGES, "reject": Status.REJECTED}
DECISION_EVENTS = {"approve": "approved", "changes": "changes-asked", "reject": "rejected"}
REBUILDABLE = (Status.FAILED, Status.APPROVED)


class NotWaiting(Exception):
    """The request is no longer waiting for review (another coordinator decided first)."""


def start(user, offer) -> PrintRequest:
    """A partner's new draft for a campaign, filled from their organisation's profile."""
    org = user.organisation
    req = PrintRequest.objects.create(
        organisation=org, created_by=user, campaign=offer.slug, products=[], copies={},
        printed_name=org.name, contact=org.contact, phone=org.phone, delivery_address="",
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
