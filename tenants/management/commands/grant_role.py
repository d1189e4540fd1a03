from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import PermissionRefused
from tenants.roles import PlatformRole
from tenants.services.organizations import role_grant


class Command(BaseCommand):
    help = "Give a user a platform role (operator_staff, reviewer or auditor); audited."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=PlatformRole.values)

    def handle(self, *args, username: str, role: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        try:
            role_grant(by=None, user=user, role=PlatformRole(role))
        except PermissionRefused as refused:
            raise CommandError(f"{username}: {refused.message}") from None
        self.stdout.write(f"{username} is now {role}")
