"""WSGI entry point: uWSGI loads `flaskstack_sample.wsgi:application`."""

from flaskstack_sample import create_app

application = create_app()
