"""Views: thin. Who may see what is decided by `visible_requests` and `_coordinator`;
anything a user may not see is a 404, never a hint that it exists. What each action
does (and the audit event it records) is in workflow.py; proofs are made off the
request path (proofs.py); /healthz is health.py."""
from __future__ import annotations

import json
import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import printing, proofs, workflow
from .forms import (AcceptInvitationForm, CampaignChoiceForm, CommentForm, InviteForm, ProfileForm, RequestForm,
                    ResetPasswordForm, ReviewForm)
from .models import AuditEvent, Invitation, Organisation, PrintRequest, User
from .printing import product_name
from .tasks import QueueDown

Status = PrintRequest.Status
QUEUE_DOWN = "The build queue cannot be reached (its server, Redis, is down or unreachable)."


def visible_requests(user):
    qs = PrintRequest.objects.select_related("organisation", "created_by")
    if user.is_coordinator:
        return qs
    if user.is_partner:
        return qs.filter(organisation_id=user.organisation_id)
    return qs.none()


def _coordinator(user):
    if not user.is_coordinator:
        raise Http404("not found")


def _partner(user):
    if not user.is_partner:
        raise Http404("not found")


# -- home, invitations ------------------------------------------------------------------

@login_required
def home(request):
    if request.user.is_coordinator:
        return redirect("queue")
    if request.user.is_partner:
        return redirect("requests")
    raise PermissionDenied


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    invitation = Invitation.find(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    if invitation.is_reset:
        return _reset_password(request, invitation)
    if User.objects.filter(username=invitation.email).exists():
        # A second invitation to an address that has joined since: it makes no account
        # (the account's password is changed by a reset link, its organisation in the admin).
        return render(request, "portal/invitation_invalid.html", status=404)
    user = User(username=invitation.email, email=invitation.email, organisation=invitation.organisation,
                is_staff=invitation.for_coordinator)
    form = AcceptInvitationForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.join(invitation, form)
        except (IntegrityError, workflow.LinkUsed):  # the link or the address used at the same moment
            return render(request, "portal/invitation_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready.")
        return redirect("home")
    return render(request, "portal/invitation.html", {"form": form, "invitation": invitation})


def _reset_password(request, invitation):
    user = invitation.user
    if not workflow.resettable(user) or user.email.lower() != invitation.email:
        # Disabled, made a coordinator or given to another address since the link was sent.
        return render(request, "portal/invitation_invalid.html", status=404)
    form = ResetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.reset_password(invitation, form)
        except workflow.LinkUsed:
            return render(request, "portal/invitation_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your new password is set.")
        return redirect("home")
    return render(request, "portal/reset_password.html", {"form": form, "invitation": invitation})


# -- coordinator: organisations and invitations -------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def organisations(request):
    _coordinator(request.user)
    if request.method == "POST" and "reset" in request.POST:
        return _send_reset(request)
    form = InviteForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        link = workflow.invite(request.user, data["email"], data["organisation"], data["new_name"],
                               data["new_partner_id"])
        form = InviteForm()
        messages.success(request, f"Invitation made for {data['email'].lower()}.")
    return _organisations_page(request, form, link=link)


def _organisations_page(request, form, **context):
    return render(request, "portal/organisations.html", {
        "form": form, **context,
        "organisations": Organisation.objects.prefetch_related("members").all(),
    })


def _send_reset(request):
    """A one-time password-reset link for a partner user (coordinators' own accounts
    are the admin's business: a reset link is a way into the account)."""
    user = User.objects.filter(pk=request.POST.get("reset") or 0).first()
    if user is None or not workflow.resettable(user):
        raise Http404("not found")
    link = workflow.send_reset(request.user, user)
    messages.success(request, f"Password-reset link made for {user.email}.")
    return _organisations_page(request, InviteForm(), reset_link=link, reset_email=user.email)


@login_required
@require_GET
def queue(request):
    _coordinator(request.user)
    reqs = visible_requests(request.user).exclude(status=Status.DRAFT)
    waiting = [r for r in reqs if r.status == Status.SUBMITTED]
    others = [r for r in reqs if r.status != Status.SUBMITTED]
    return render(request, "portal/queue.html", {"waiting": waiting, "others": others})


@login_required
@require_GET
def audit(request):
    _coordinator(request.user)
    return render(request, "portal/audit.html",
                  {"events": AuditEvent.objects.select_related("request", "organisation")[:500]})


# -- partner: profile ---------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    _partner(request.user)
    org = request.user.organisation
    form = ProfileForm(request.POST or None, request.FILES or None, instance=org)
    if request.method == "POST" and form.is_valid():
        workflow.save_profile(request.user, form)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form, "org": org})


@login_required
@require_GET
def logo(request, name):
    """An uploaded logo, to whoever may see its organisation or a request using it."""
    user = request.user
    orgs = Organisation.objects.all() if user.is_coordinator else Organisation.objects.filter(
        pk=user.organisation_id)
    allowed = orgs.filter(logo_file=name).exists() or visible_requests(user).filter(logo_file=name).exists()
    path = printing.logo_path(name) if allowed else None
    if path is None:
        raise Http404("not found")
    response = FileResponse(path.open("rb"), content_type=printing.LOGO_TYPES.get(path.suffix.lstrip(".")))
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# -- requests -----------------------------------------------------------------------------

@login_required
@require_GET
def request_list(request):
    _partner(request.user)
    return render(request, "portal/requests.html", {"requests": visible_requests(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    _partner(request.user)
    offers = printing.offers()
    form = CampaignChoiceForm(request.POST or None, offers=offers)
    if len(offers) == 1 and request.method == "GET":
        form = CampaignChoiceForm(initial={"campaign": offers[0].slug}, offers=offers)
    if request.method == "POST" and form.is_valid():
        req = workflow.start(request.user, printing.offer(form.cleaned_data["campaign"]))
        return redirect("request-edit", pk=req.pk)
    return render(request, "portal/request_new.html", {"form": form, "offers": offers})


def _request_form(req, data=None):
    offer = printing.offer(req.campaign)
    initial = {"printed_name": req.printed_name, "contact": req.contact, "phone": req.phone, "web": req.web,
               "products": req.products, "delivery_address": req.delivery_address,
               "needed_by": req.needed_by, "notes": req.notes}
    initial.update({f"copies_{p}": n for p, n in req.copies.items()})
    return RequestForm(data, initial=initial, offer=offer), offer


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request, pk):
    _partner(request.user)
    req = get_object_or_404(visible_requests(request.user), pk=pk)
    if not req.editable:
        return redirect("request", pk=req.pk)
    form, offer = _request_form(req, request.POST or None)
    org = request.user.organisation
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        for field in ("printed_name", "contact", "phone", "web", "delivery_address", "needed_by", "notes"):
            setattr(req, field, data[field])
        req.products, req.copies = data["products"], form.copies()
        req.logo_file = org.logo_file
        if "submit" in request.POST:
            for error in workflow.submission_errors(req, org):
                form.add_error(None, error)
            if not form.errors:
                workflow.submit(request.user, req)
                messages.success(request, "Request sent. A coordinator will review it.")
                return redirect("request", pk=req.pk)
        else:
            req.save()
            messages.success(request, "Draft saved.")
            return redirect("request-edit", pk=req.pk)
    return render(request, "portal/request_edit.html", {
        "form": form, "req": req, "offer": offer, "org": org,
        "products": [(p, product_name(p)) for p in (offer.products if offer else ())],
        "copies_fields": [(product_name(p), form[name]) for p, name in form.copies_fields],
    })


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk):
    req = get_object_or_404(visible_requests(request.user), pk=pk)
    user = request.user
    review_form = comment_form = None
    problems: list[dict] = []
    if req.status not in (Status.DRAFT,):
        try:
            problems = printing.check(req.printed(confirmed_numbers=[]))
        except Exception as exc:  # a campaign removed since: show it, don't crash the page
            problems = [{"level": "error", "what": f"cannot check this request: {exc}", "hint": "",
                         "check": None, "number": None, "field": None, "page": None}]
    if user.is_coordinator and req.status in PrintRequest.REVIEWABLE:
        review_form = ReviewForm(request.POST or None, numbers=printing.unconfirmed_numbers(problems))
        if request.method == "POST" and "decision" in request.POST:
            if req.created_by_id == user.pk:
                raise PermissionDenied("you cannot approve your own request")
            if review_form.is_valid():
                return _decide(request, req, review_form, problems)
    if request.method == "POST" and "rebuild" in request.POST:
        if not (user.is_coordinator and req.status in workflow.REBUILDABLE):
            raise Http404("not found")
        try:
            workflow.rebuild(user, req)
        except QueueDown:
            messages.error(request, QUEUE_DOWN + " Nothing was changed: try “Build again” in a few minutes.")
        else:
            messages.success(request, "Building the files again.")
        return redirect("request", pk=req.pk)
    if request.method == "POST" and "text" in request.POST:
        comment_form = CommentForm(request.POST)
        if comment_form.is_valid():
            workflow.comment(user, req, comment_form.cleaned_data["text"])
            return redirect("request", pk=req.pk)
    elif request.method == "POST" and review_form is None:
        raise Http404("not found")  # a partner posting a decision, or a request no longer waiting
    return _detail_page(request, req, review_form, problems, comment_form=comment_form)


def _detail_page(request, req, review_form, problems, comment_form=None, decided=False, status=200):
    """The request's page; `decided`: after a decision that did not go through (no files shown)."""
    offer = printing.offer(req.campaign)
    return render(request, "portal/request_detail.html", {
        "campaign_name": offer.name if offer else req.campaign,
        "copies": [(product_name(p), n) for p, n in req.copies.items()],
        "req": req, "review_form": review_form, "comment_form": comment_form or CommentForm(),
        "numbers": printing.unconfirmed_numbers(problems),
        "problems": [p for p in problems if p["check"] != "unconfirmed-number"],
        "products": [(p, product_name(p)) for p in req.products],
        "comments": req.comments.select_related("author"),
        "screen_outputs": [] if decided else req.screen_outputs(),
        "print_outputs": [] if decided else req.print_outputs(),
    }, status=status)


def _decide(request, req, form, problems):
    decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"].strip()
    user = request.user
    if decision == "approve":
        confirmed = form.cleaned_data["numbers"]
        blocking = workflow.approval_blockers(req, confirmed)
        if blocking:
            for p in blocking:
                form.add_error(None, f"Cannot approve: {p['what']}. {p['hint']}".strip())
            return _detail_page(request, req, form, problems, decided=True)
    try:
        workflow.decide(user, req, decision, comment, form.cleaned_data["numbers"])
    except workflow.NotWaiting:
        raise Http404("no longer waiting for review")
    except QueueDown:
        form.add_error(None, QUEUE_DOWN + " The request was not approved and is still waiting for review: "
                             "send the decision again in a few minutes.")
        return _detail_page(request, req, form, problems, decided=True, status=503)
    messages.success(request, {"approve": "Approved: the files are being built.",
                               "changes": "Sent back to the partner for changes.",
                               "reject": "Rejected."}[decision])
    return redirect("request", pk=req.pk)


@login_required
@require_GET
@never_cache
def request_status(request, pk):
    req = get_object_or_404(visible_requests(request.user), pk=pk)
    return JsonResponse({"status": req.status, "label": req.get_status_display(), "done": req.build_done,
                         "total": req.build_total, "percent": req.progress_percent})


def _proofable(request, pk, product):
    req = get_object_or_404(visible_requests(request.user), pk=pk)
    if product not in (printing.offer(req.campaign) or printing.Offer("", "", None, ())).products:
        raise Http404("not found")
    return req


@login_required
@require_http_methods(["GET", "POST"])
def proof(request, pk, product):
    """Every page of one product as PNG (base64 in JSON) with its problems. GET: the
    request as saved; POST: the partner's form as typed (live proof: the newest wins).
    Never made here: 200 with the proof when an identical one is made already, else
    202 with the address to wait for it at (proof_result)."""
    req = _proofable(request, pk, product)
    printed, slot = req.printed(), None
    if request.method == "POST":
        if not (request.user.is_partner and req.editable):
            raise Http404("not found")
        post = request.POST
        printed = printing.Printed(
            campaign=req.campaign, partner_id=req.pipeline_id,
            name=post.get("printed_name", "")[:100], contact=post.get("contact", "")[:120],
            phone=post.get("phone", "")[:40], web=post.get("web", "")[:100], products=(product,), copies={product: 1},
            logo_file=req.organisation.logo_file)
        slot = f"{req.pk}:{product}"
    ticket = proofs.ask(req.pk, printed, product, proofs.width_for(request.POST.get("width")
                                                                     or request.GET.get("width")), slot)
    if ticket.body is not None:
        return HttpResponse(ticket.body, content_type="application/json")
    return JsonResponse({"state": "queued", "result": reverse("proof-result", args=[req.pk, product, ticket.key])},
                        status=202)


@login_required
@require_GET
@never_cache
def proof_result(request, pk, product, key):
    """A queued proof: 200 with it as soon as it is made (waiting up to PROOF_WAIT s),
    202 if it is still being made (ask again), 410 if it was dropped for a newer one
    or lost (ask for the proof again)."""
    req = _proofable(request, pk, product)
    if not key.startswith(f"{req.pk}-{product}-"):
        raise Http404("not found")
    body = proofs.wait(key, settings.PROOF_WAIT)
    if body is not None:
        return HttpResponse(body, content_type="application/json")
    if proofs.pending(key):
        return JsonResponse({"state": "queued", "result": request.path}, status=202)
    return JsonResponse({"state": "gone"}, status=410)


@login_required
@require_GET
@never_cache
def proof_page(request, pk, product):
    """The proof of the request as saved, as a page of its own (without JavaScript):
    the pages if made, else a note and a link to look again; it never waits."""
    req = _proofable(request, pk, product)
    ticket = proofs.ask(req.pk, req.printed(), product, proofs.width_for(None))
    proof = json.loads(ticket.body) if ticket.body else None
    return render(request, "portal/proof.html", {
        "req": req, "product": product, "name": product_name(product), "proof": proof,
        "problems": [p for p in proof["problems"] if p["check"] != "unconfirmed-number"] if proof else [],
        "numbers": printing.unconfirmed_numbers(proof["problems"]) if proof else [],
        "back": "request-edit" if req.editable and request.user.is_partner else "request",
    })


@login_required
@require_GET
def request_file(request, pk, path):
    req = get_object_or_404(visible_requests(request.user), pk=pk)
    file = workflow.download(request.user, req, path)
    if file is None:
        raise Http404("not found")
    return FileResponse(file.open("rb"), as_attachment=True, filename=file.name,
                        content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream")
