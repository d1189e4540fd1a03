from django.urls import path

from transparency import views

urlpatterns = [
    path("disclosure/", views.disclosure_index, name="disclosure-index"),
    path("disclosure/draft/", views.disclosure_draft, name="disclosure-draft"),
    path("disclosure/<int:year>/", views.disclosure_year, name="disclosure-year"),
    path("disclosure/<int:year>.csv", views.disclosure_csv, name="disclosure-csv"),
    path("disclosure/<int:year>.pdf", views.disclosure_pdf, name="disclosure-pdf"),
    path("disclosure/<int:year>/publish/", views.disclosure_publish, name="disclosure-publish"),
]
