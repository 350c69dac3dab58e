"""The deadline calendar's URLs, under /notifications/calendar/ (the address calendar apps have
subscribed to since it lived in notifications/), included by escalate/urls.py."""

from django.urls import path

from escalate.escalations import views_calendar

app_name = "calendar"

urlpatterns = [
    path("", views_calendar.calendar_settings, name="settings"),
    path("deadlines.ics", views_calendar.calendar_download, name="download"),
    path("feed/<str:token>.ics", views_calendar.calendar_feed, name="feed"),
]
