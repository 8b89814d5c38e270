"""Organisations, their users, invitations, print requests, comments and the audit log."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from .validators import plain_text


class Organisation(models.Model):
    """A partner agency: a victim-support charity, a council, a health service."""

    name = models.CharField(max_length=100, validators=[plain_text])
    # In file names and QR tracking codes (?c=wc-<id>; shortened past 7 characters), so plain and neutral.
    partner_id = models.SlugField("short name", max_length=40, unique=True,
                                  help_text="Lower-case letters, digits and hyphens; used in file names.")
    contact = models.CharField("contact line", max_length=120, blank=True, validators=[plain_text])
    phone = models.CharField(max_length=40, blank=True, validators=[plain_text])
    # The organisation's own site: the one web address besides the campaign's its lines may print.
    web = models.CharField("web site", max_length=100, blank=True, validators=[plain_text])
    logo_file = models.CharField(max_length=80, blank=True)  # generated name in var/uploads/
    logo_original_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A coordinator (staff, no organisation) or a partner user (one organisation)."""

    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="members")

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.is_staff and self.organisation_id is None

    @property
    def is_partner(self) -> bool:
        return self.is_active and self.organisation_id is not None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time link to set a password: to join (a new account) or, with `user`, to
    reset the password of an existing one. Only the token's hash is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="invitations")  # none: a coordinator
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="password_resets")  # a password reset for this account

    @classmethod
    def issue(cls, email: str, organisation: Organisation | None, by=None, user=None) -> tuple["Invitation", str]:
        token = secrets.token_urlsafe(32)
        days = settings.RESET_DAYS if user else settings.INVITATION_DAYS
        invitation = cls.objects.create(token_hash=_hash(token), email=email.lower(), organisation=organisation,
                                        created_by=by, user=user,
                                        expires_at=timezone.now() + timedelta(days=days))
        return invitation, token

    @classmethod
    def issue_reset(cls, user, by) -> tuple["Invitation", str]:
        """A one-time password-reset link for `user`; earlier unused ones stop working."""
        cls.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())
        return cls.issue(user.email, user.organisation, by=by, user=user)

    @staticmethod
    def link(token: str) -> str:
        from django.urls import reverse

        return settings.PORTAL_BASE_URL.rstrip("/") + reverse("accept-invitation", args=[token])

    @classmethod
    def find(cls, token: str) -> "Invitation | None":
        """The unused, unexpired invitation for a token, or None."""
        return cls.objects.filter(token_hash=_hash(token), used_at__isnull=True,
                                  expires_at__gt=timezone.now()).first()

    @property
    def for_coordinator(self) -> bool:
        return self.organisation_id is None and self.user_id is None

    @property
    def is_reset(self) -> bool:
        return self.user_id is not None


class PrintRequest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Waiting for review"
        CHANGES = "changes", "Changes asked for"
        APPROVED = "approved", "Approved: building the files"
        BUILT = "built", "Approved: files ready"
        FAILED = "failed", "Approved: build failed"
        REJECTED = "rejected", "Rejected"

    EDITABLE = (Status.DRAFT, Status.CHANGES)
    REVIEWABLE = (Status.SUBMITTED,)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="requests")
    # The request's own partner id in the pipeline (r<pk>-<organisation's short name>),
    # fixed when it is approved: its YAML, logo, PDFs and tracking code, apart from
    # every other request of the organisation.
    partner_id = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests")
    campaign = models.CharField(max_length=100)  # the campaign's slug (its file name in content/)
    products = models.JSONField(default=list)
    copies = models.JSONField(default=dict)  # product -> copies
    # What is printed, as the partner last saw it in the proof.
    printed_name = models.CharField("name on the leaflet", max_length=100)
    contact = models.CharField("contact line", max_length=120)
    phone = models.CharField(max_length=40, blank=True)
    web = models.CharField("web site", max_length=100, blank=True)
    logo_file = models.CharField(max_length=80, blank=True)
    delivery_address = models.TextField(max_length=500)
    needed_by = models.DateField()
    notes = models.TextField(max_length=2000, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="decisions")
    decided_at = models.DateTimeField(null=True, blank=True)
    confirmed_numbers = models.JSONField(default=list)

    build_done = models.PositiveIntegerField(default=0)
    build_total = models.PositiveIntegerField(default=0)
    build_outputs = models.JSONField(default=list)  # [{path, product, profile, copies, ...}]
    build_problems = models.JSONField(default=list)
    build_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Request {self.pk} from {self.organisation}"

    @property
    def editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def building(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def progress_percent(self) -> int:
        return int(100 * self.build_done / self.build_total) if self.build_total else 0

    @property
    def pipeline_id(self) -> str:
        """The partner id the pipeline knows this request by. The request number comes
        first: it keeps the QR tracking code's short form (4 characters and a hash)
        apart from the organisation's other requests."""
        return self.partner_id or f"r{self.pk}-{self.organisation.partner_id}"[:40].rstrip("-")

    def printed(self, confirmed_numbers=None):
        """What goes on the products, for the pipeline (see printing.Printed)."""
        from .printing import Printed

        return Printed(campaign=self.campaign, partner_id=self.pipeline_id, name=self.printed_name,
                       contact=self.contact, phone=self.phone, web=self.web, products=tuple(self.products),
                       copies=dict(self.copies), logo_file=self.logo_file or self.organisation.logo_file,
                       confirmed_numbers=tuple(self.confirmed_numbers if confirmed_numbers is None
                                               else confirmed_numbers))

    def screen_outputs(self) -> list[dict]:
        return [o for o in self.build_outputs if o.get("profile") == "screen"]

    def print_outputs(self) -> list[dict]:
        return [o for o in self.build_outputs if o.get("profile") != "screen"]


class Comment(models.Model):
    request = models.ForeignKey(PrintRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, blank=True)  # approved / changes / rejected / submitted
    text = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    LABELS = {"submitted": "sent for approval", "approve": "approved", "changes": "asked for changes",
              "reject": "rejected"}

    @property
    def action_label(self) -> str:
        return self.LABELS.get(self.action, self.action)


class AppendOnly(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("the audit log is append-only")

    def delete(self):
        raise AppendOnly("the audit log is append-only")


class AuditEvent(models.Model):
    """Who did what, when. Rows are only ever added: no update or delete path here,
    none in the admin, and database triggers refuse both (see migration 0002)."""

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=200)  # kept as it was, even if the user is renamed
    action = models.CharField(max_length=40)
    request = models.ForeignKey(PrintRequest, null=True, on_delete=models.PROTECT, related_name="audit")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("the audit log is append-only")

    @classmethod
    def record(cls, actor, action: str, request: PrintRequest | None = None,
               organisation: Organisation | None = None, **detail) -> "AuditEvent":
        name = "system" if actor is None else f"{actor.get_full_name() or actor.username} <{actor.email}>"
        return cls.objects.create(actor=actor, actor_name=name, action=action, request=request,
                                  organisation=organisation or (request.organisation if request else None),
                                  detail=detail)
