"""The site's URLs: pages, the REST API and its schema, media, admin."""

from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.media import media_serve, media_served_here

# Under /api/ these answer JSON in the API's error shape, elsewhere the site's pages.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from its own URL, not inline: the
    # Content-Security-Policy (config.csp) runs no inline script without the page's nonce.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("moderation/", include("moderation.urls")),
    path("create/", include("generation.urls")),
    path("cameo/", include("cameo.urls")),
    path("", include("accounts.urls")),
    path("", include("feed.urls")),
]

if media_served_here():
    urlpatterns.append(
        re_path(r"^{}(?P<path>.+)$".format(settings.MEDIA_URL.lstrip("/")), media_serve, name="media")
    )
