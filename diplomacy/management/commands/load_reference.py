from django.core.management.base import BaseCommand

from diplomacy.reference.loader import reference_load


class Command(BaseCommand):
    help = "Load the bundled gazetteer (people, offices, places, topics) and curated timeline."

    def add_arguments(self, parser):
        parser.add_argument(
            "--gazetteer-only",
            action="store_true",
            help="Load people, places and topics but not the curated timeline of meetings.",
        )

    def handle(self, *args, gazetteer_only=False, verbosity=1, **options):
        report = reference_load(gazetteer_only=gazetteer_only)
        if verbosity < 1:
            return
        for line in report.lines():
            self.stdout.write(line)
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Reference data loaded."))
        else:
            self.stdout.write("Reference data already up to date: no changes.")
