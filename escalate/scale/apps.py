from django.apps import AppConfig


class ScaleConfig(AppConfig):
    name = "escalate.scale"
    label = "scale"
    verbose_name = "Scale data for benchmarks"
