from django.contrib import admin

from articles.models import Article, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "side",
        "homepage",
        "feed_url",
        "last_polled_at",
        "last_poll_error",
    ]
    list_filter = ["kind", "side"]
    search_fields = ["name", "homepage", "feed_url"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["last_polled_at", "last_poll_error"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "source", "published_at", "status", "processed_at", "attempts"]
    list_filter = ["status", "published_source", "source"]
    search_fields = ["title", "url"]
    date_hierarchy = "published_at"
    list_select_related = ["source"]
    readonly_fields = [
        "content_hash",
        "status",
        "error",
        "attempts",
        "status_changed_at",
        "processed_at",
        "extractor_version",
        "created_at",
    ]
    raw_id_fields = ["source"]

    def get_inlines(self, request, obj):
        # Evidence lives in diplomacy; it registers an inline through this hook.
        return [*self.inlines, *getattr(self, "extra_inlines", [])]
