"""The sources' pages."""

from django.urls import path

from reports.sources import views

urlpatterns = [
    path("selectors/", views.selectors, name="selectors"),
]
