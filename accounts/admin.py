from django.contrib import admin

from accounts.authentication import token_expires_at
from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_used_at", "expires_at"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
    fields = ["user", "key", "created_at", "last_used_at", "expires_at"]
    readonly_fields = ["key", "created_at", "last_used_at", "expires_at"]
    ordering = ["-created_at"]

    @admin.display(description="expires")
    def expires_at(self, token: ApiToken):
        return token_expires_at(token) if token.pk else None

    def get_readonly_fields(self, request, obj=None):
        # A token belongs to one user for life: issue a new one rather than move it.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields
