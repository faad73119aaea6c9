import time

from django.core.management.base import BaseCommand

from diplomacy.services import reports_resettle_all


class Command(BaseCommand):
    help = (
        "Place every vague report again by the current matching rules, one pair of people at "
        "a time (after an upgrade changed the rules, or on meetings copied in without them). "
        "Curated meetings are left as they are; articles may go on being processed meanwhile."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        every = 1 if options["verbosity"] > 1 else 50

        def progress(done: int, total: int) -> None:
            if done % every == 0 or done == total:
                self.stdout.write(f"{done:,} of {total:,} pairs of people")

        changed = reports_resettle_all(progress if options["verbosity"] else None)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Placed vague reports again: {changed:,} meetings changed ({seconds:.0f} s)."
            )
        )
