"""Marking a sender from the pages."""

from django.urls import path

from reports.marks import views

urlpatterns = [
    path("marks/<domain:domain>/", views.mark, name="mark_sender"),
]
