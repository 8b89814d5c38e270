from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from .forms import PlainText
from .models import AuditEvent, Comment, Invitation, Organisation, PrintRequest, User

SECRET_FIELDS = {"password", "password1", "password2", "usable_password"}


def _shown(value):
    """A field's value as the audit log keeps it: names, not ids; lists of names for many-to-many."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (models.QuerySet, list, tuple, set)):
        return sorted(str(v) for v in value)
    return value if value is None or isinstance(value, (bool, int, str)) else str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Every change made in the admin (added, changed, password set, deleted) goes to
    the portal's audit log too, with each changed field's old and new value: moving a
    user to another organisation, granting staff or superuser, setting a password."""

    def save_model(self, request, obj, form, change):
        old = {}
        if change:
            fresh = type(obj).objects.get(pk=obj.pk)
            old = {name: getattr(fresh, name) for name in form.changed_data
                   if name not in SECRET_FIELDS and not isinstance(form.fields[name], forms.ModelMultipleChoiceField)}
        super().save_model(request, obj, form, change)
        request._audit = {name: [_shown(old.get(name)), _shown(form.cleaned_data.get(name))] if change
                          else _shown(form.cleaned_data.get(name))
                          for name in form.changed_data if name not in SECRET_FIELDS}
        for name in SECRET_FIELDS & set(form.changed_data):
            request._audit["password"] = "set"
        if change:  # many-to-many: the old list, from the form's initial values
            for name in form.changed_data:
                if isinstance(form.fields[name], forms.ModelMultipleChoiceField):
                    request._audit[name] = [_shown(form.initial.get(name) or []),
                                            _shown(form.cleaned_data.get(name))]

    def _record(self, request, obj, action, message=None):
        detail = getattr(request, "_audit", None)
        if detail is None:  # a view that saves without save_model (the admin's password form)
            fields = [f for m in (message if isinstance(message, list) else [])
                      for f in m.get("changed", {}).get("fields", [])]
            detail = {"fields": fields}
            if any("password" in f.lower() for f in fields):
                action = "admin-password-set"
                if isinstance(obj, User):  # a password set here ends the reset links sent before it
                    Invitation.objects.filter(user=obj, used_at__isnull=True).update(expires_at=timezone.now())
        request._audit = None
        org = obj if isinstance(obj, Organisation) else getattr(obj, "organisation", None)
        if action == "admin-deleted" and org is obj:
            org = None  # an event pointing at it would stop its deletion (the log protects what it names)
        AuditEvent.record(request.user, action, organisation=org, model=obj._meta.model_name,
                          object=str(obj), object_id=obj.pk, changes=detail)

    def log_addition(self, request, obj, message):
        self._record(request, obj, "admin-added")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._record(request, obj, "admin-changed", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            request._audit = {}
            self._record(request, obj, "admin-deleted")
        return super().log_deletions(request, queryset)


class PlainUserChangeForm(PlainText, UserChangeForm):
    """Names and addresses as plain text: a coordinator's name is shown in the queue,
    the audit log and the portal's e-mails, where an override would reorder a number."""


@admin.register(User)
class PortalUserAdmin(AuditedAdmin, UserAdmin):
    form = PlainUserChangeForm
    fieldsets = UserAdmin.fieldsets + (("Partner", {"fields": ("organisation",)}),)
    list_display = ("username", "email", "organisation", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "organisation")


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "partner_id", "contact", "phone")
    search_fields = ("name", "partner_id")
    readonly_fields = ("logo_file", "logo_original_name")


@admin.register(PrintRequest)
class PrintRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "organisation", "campaign", "status", "submitted_at", "decided_by")
    list_filter = ("status", "campaign")
    readonly_fields = [f.name for f in PrintRequest._meta.fields]  # decisions go through the portal's page

    def has_add_permission(self, request):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "created_by", "created_at", "expires_at", "used_at")
    # All read-only: a link is made in the portal and mailed; pointing it at another
    # account (`user`) would hand that account to whoever holds the link.
    readonly_fields = ("token_hash", "email", "organisation", "created_by", "created_at", "expires_at", "used_at",
                       "user")

    def has_add_permission(self, request):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """A request's history (who sent, approved, asked for changes, and why): shown,
    never rewritten; decisions and comments go through the portal's pages."""

    list_display = ("request", "author", "action", "created_at")
    list_filter = ("action",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    """Groups carry permissions: who may do what in the admin."""


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("at", "actor_name", "action", "request", "organisation")
    list_filter = ("action",)
    search_fields = ("actor_name", "action")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
