from django.apps import AppConfig


class DiplomacyConfig(AppConfig):
    name = "diplomacy"
    verbose_name = "Diplomacy"

    def ready(self):
        from diplomacy import receivers  # noqa: F401  (connects to articles' signals)
