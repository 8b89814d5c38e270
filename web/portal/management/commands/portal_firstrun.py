"""Prints a one-time link to create the first coordinator, while there is none."""
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from web.portal.models import Invitation, User


class Command(BaseCommand):
    help = "On a fresh portal: print a one-time link to create the first coordinator."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="coordinator@localhost")

    def handle(self, *args, email, **options):
        if User.objects.filter(is_staff=True, organisation__isnull=True, is_active=True).exists():
            return
        # Earlier links stop working: only the newest printed one is valid.
        Invitation.objects.filter(organisation__isnull=True, used_at__isnull=True).update(
            expires_at=timezone.now())
        _, token = Invitation.issue(email, None)
        link = Invitation.link(token)
        self.stdout.write(self.style.SUCCESS(
            "\nNo coordinator yet. Create the first one with this one-time link "
            f"(valid {settings.INVITATION_DAYS} days):\n\n    {link}\n"))
