"""The service's URLs plus the floor: the cheapest page a signed-in person can ask for."""

from django.urls import path

from bench.views import floor
from escalate.urls import urlpatterns as service_urlpatterns

urlpatterns = [*service_urlpatterns, path("bench/floor/", floor, name="bench_floor")]
