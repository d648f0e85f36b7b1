import os

from django.core.wsgi import get_wsgi_application

from hatecrime.wsgi_input import SocketBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatecrime.settings")
application = SocketBodyMiddleware(get_wsgi_application())
