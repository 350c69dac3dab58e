from django.urls import path

from escalate.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.index, name="index"),
    path("contacts/", views.contacts, name="contacts"),
    path("agencies/new/", views.agency, name="agency_new"),
    path("agencies/<int:agency_id>/", views.agency, name="agency"),
    path("agencies/<int:agency_id>/contacts/new/", views.contact, name="contact_new"),
    path("agencies/<int:agency_id>/contacts/<int:contact_id>/", views.contact, name="contact"),
    path("people/", views.people, name="people"),
    path("people/import/", views.import_people, name="import"),
    path("people/import/confirm/", views.import_confirm, name="import_confirm"),
    path("people/import/template.<str:file_format>", views.import_template, name="import_template"),
    path("people/new/", views.person, name="person_new"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("people/<int:person_id>/<slug:change>/", views.person_access, name="person_access"),
]
