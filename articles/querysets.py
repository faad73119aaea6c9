from django.db import models

from articles.choices import ArticleStatus


class ArticleQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(status__in=[ArticleStatus.PENDING, ArticleStatus.PROCESSING])

    def with_source(self):
        return self.select_related("source")
