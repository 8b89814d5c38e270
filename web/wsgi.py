import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings.local")
application = get_wsgi_application()

if os.environ.get("PORTAL_WARM_UP", "1") != "0":
    from web.portal.printing import warm_up

    warm_up()
