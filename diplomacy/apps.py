from django.apps import AppConfig


class DiplomacyConfig(AppConfig):
    name = "diplomacy"
    verbose_name = "Diplomacy"

    def ready(self):
        from django.db.models.signals import post_migrate

        from diplomacy import receivers  # noqa: F401  (connects to articles' signals)
        from diplomacy.roles import roles_ensure

        post_migrate.connect(roles_ensure, sender=self, dispatch_uid="diplomacy.roles_ensure")
