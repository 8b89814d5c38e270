from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "web.studio"
    label = "studio"
    verbose_name = "Designer studio"
