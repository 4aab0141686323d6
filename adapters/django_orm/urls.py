"""URLs of the operators' admin (served on :8000 by ``observer-eye admin``)."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Observer-Eye operations"
admin.site.site_title = "Observer-Eye admin"
admin.site.index_title = "Data by context"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
