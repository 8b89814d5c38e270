from django.contrib.auth import views as auth_views
from django.urls import path

from . import health, views
from .forms import EmailAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=EmailAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept-invitation"),
    path("organisations/", views.organisations, name="organisations"),
    path("queue/", views.queue, name="queue"),
    path("audit/", views.audit, name="audit"),
    path("organisation/", views.profile, name="profile"),
    path("logos/<str:name>", views.logo, name="logo"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request-edit"),
    path("requests/<int:pk>/status.json", views.request_status, name="request-status"),
    path("requests/<int:pk>/proof/<slug:product>.json", views.proof, name="proof"),
    path("requests/<int:pk>/proof/<slug:product>/<str:key>.json", views.proof_result, name="proof-result"),
    path("requests/<int:pk>/proof/<slug:product>/", views.proof_page, name="proof-page"),
    path("requests/<int:pk>/files/<path:path>", views.request_file, name="request-file"),
]
