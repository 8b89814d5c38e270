from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Campaign print portal: administration"
admin.site.site_title = "Campaign print portal"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("web.portal.urls")),
]
