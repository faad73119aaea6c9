from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ApiToken


class Command(BaseCommand):
    help = "Print a user's API token, issuing one if they have none (--renew: a new one)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--renew", action="store_true", help="replace the existing token")

    def handle(self, *args, username, renew, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user is called {username!r}.") from None
        with transaction.atomic():
            if renew:
                ApiToken.objects.filter(user=user).delete()
            token, _ = ApiToken.objects.get_or_create(user=user)
        self.stdout.write(token.key)
