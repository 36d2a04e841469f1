"""Retrying a failed message from the status page."""

from django.urls import path

from reports.mail import views

urlpatterns = [
    path("mail/<int:pk>/retry/", views.retry_message, name="retry_message"),
]
