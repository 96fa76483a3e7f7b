"""A small Django REST framework API with django-cors-headers: the backend
that report_only's test (reportonly_django_test.go) puts Caddy in front of.

Its CORS settings are the README's ("Moving CORS to the edge"). It serves
on 127.0.0.1, on a free port, which it prints on its first line, and
serves until it is killed. Run by hand:

    python3 testdata/reportonly/django_api.py
"""

import socketserver
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings
from corsheaders.defaults import default_headers

settings.configure(
    DEBUG=False,
    SECRET_KEY="report-only-test",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "corsheaders",
    ],
    MIDDLEWARE=[
        "corsheaders.middleware.CorsMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    DATABASES={},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    },
    # The CORS settings, as in the README.
    CORS_ALLOWED_ORIGINS=["https://app.example.com", "https://admin.example.com"],
    CORS_ALLOWED_ORIGIN_REGEXES=[r"^https://\w+\.preview\.example\.com$"],
    CORS_ALLOW_CREDENTIALS=True,
    CORS_ALLOW_HEADERS=[*default_headers, "x-tenant"],
    CORS_EXPOSE_HEADERS=["X-Request-Id", "X-Total-Count"],
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
def items(request):
    return Response(
        {"items": [1, 2], "method": request.method},
        headers={"X-Request-Id": "r-1", "X-Total-Count": "2", "X-Internal": "not exposed"},
    )


urlpatterns = [path("api/items/", items)]


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=Server, handler_class=QuietHandler)
    print(server.server_port, flush=True)
    server.serve_forever()
