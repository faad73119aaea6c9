from django.contrib import admin

from articles.admin import ArticleAdmin
from diplomacy.models import (
    Channel,
    ChannelSuspension,
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Mention,
    Office,
    Participation,
    Person,
    Topic,
)


class OfficeInline(admin.TabularInline):
    model = Office
    extra = 0


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    autocomplete_fields = ["person"]


class MeetingTopicInline(admin.TabularInline):
    model = MeetingTopic
    extra = 0
    autocomplete_fields = ["topic"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["article", "meeting", "quote", "fields", "confidence", "conflicting"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ArticleEvidenceInline(EvidenceInline):
    fk_name = "article"


class MeetingEvidenceInline(EvidenceInline):
    fk_name = "meeting"


ArticleAdmin.extra_inlines = [ArticleEvidenceInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "review_state", "created_at"]
    list_filter = ["review_state", "country"]
    list_editable = ["review_state"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OfficeInline]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["title", "person", "role", "country", "start_date", "end_date"]
    list_filter = ["role", "country"]
    search_fields = ["title", "organisation", "person__name"]
    autocomplete_fields = ["person"]
    list_select_related = ["person"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "parent"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    search_fields = ["name", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "status",
        "start_date",
        "end_date",
        "location",
        "article_count",
        "review_state",
    ]
    list_filter = ["review_state", "kind", "status", "date_precision", "announced"]
    list_editable = ["review_state"]
    search_fields = ["title", "summary", "location_note", "participants__name"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["location"]
    list_select_related = ["location"]
    readonly_fields = ["article_count", "evidence_count", "first_reported_at"]
    inlines = [ParticipationInline, MeetingTopicInline, MeetingEvidenceInline]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting", "article", "confidence", "conflicting"]
    list_filter = ["conflicting", "extractor_version"]
    search_fields = ["quote"]
    raw_id_fields = ["article", "meeting"]
    list_select_related = ["meeting", "article"]


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "article", "person", "location", "topic"]
    list_filter = ["kind"]
    search_fields = ["text"]
    raw_id_fields = ["article", "person", "location", "topic"]


class ChannelSuspensionInline(admin.TabularInline):
    model = ChannelSuspension
    extra = 0
    raw_id_fields = ["evidence", "source"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "us_role", "cn_role", "start_date"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ChannelSuspensionInline]
