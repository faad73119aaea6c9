from datetime import date

from django.db import models


class OfficeQuerySet(models.QuerySet):
    def held_on(self, day: date):
        """Return offices held on the given day (open-ended terms included)."""
        return self.filter(
            models.Q(start_date__isnull=True) | models.Q(start_date__lte=day),
            models.Q(end_date__isnull=True) | models.Q(end_date__gte=day),
        )

    def holder_of(self, role: str, country: str, day: date):
        """Return the office of `role` for `country` held on `day`, with its person, or None."""
        return (
            self.held_on(day)
            .filter(role=role, country=country)
            .select_related("person")
            .order_by("-start_date")
            .first()
        )


class LocationQuerySet(models.QuerySet):
    def within(self, location) -> "LocationQuerySet":
        """Return the location and every place inside it (a country includes its cities)."""
        table = self.model._meta.db_table
        ids = self.model.objects.raw(
            f"""
            WITH RECURSIVE tree AS (
                SELECT id FROM {table} WHERE id = %s
                UNION
                SELECT child.id FROM {table} child JOIN tree ON child.parent_id = tree.id
            )
            SELECT id FROM tree
            """,
            [location.pk],
        )
        return self.filter(pk__in=[row.pk for row in ids])


class MeetingQuerySet(models.QuerySet):
    def visible(self):
        """Meetings shown to readers: everything a curator has not rejected."""
        return self.exclude(review_state="rejected")

    def overlapping(self, date_from: date | None = None, date_to: date | None = None):
        """Return meetings whose dates overlap the range; an open end is unbounded."""
        queryset = self
        if date_from is not None:
            queryset = queryset.filter(
                models.Q(end_date__gte=date_from)
                | models.Q(end_date__isnull=True, start_date__gte=date_from)
            )
        if date_to is not None:
            queryset = queryset.filter(start_date__lte=date_to)
        return queryset

    def with_related(self):
        return self.select_related("location").prefetch_related(
            "participations__person", "meeting_topics__topic"
        )
