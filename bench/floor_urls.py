"""The product's URLs plus the bench's floor view (bench/floor.py): loaded only by the benches."""

from django.urls import path

from bench.floor import floor
from podcastcme.urls import *  # noqa: F403 (the product's handlers too)
from podcastcme.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench-floor/", floor, name="bench_floor"), *product_urlpatterns]
