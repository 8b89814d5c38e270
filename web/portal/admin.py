from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEvent, Comment, Invitation, Organisation, PrintRequest, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Partner", {"fields": ("organisation",)}),)
    list_display = ("username", "email", "organisation", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "organisation")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
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
    readonly_fields = ("token_hash", "email", "organisation", "created_by", "created_at", "expires_at", "used_at")

    def has_add_permission(self, request):
        return False


admin.site.register(Comment)


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
