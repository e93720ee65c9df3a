"""WSGI entry for gunicorn: ``gunicorn 'quizsvc.wsgi:app'`` (run ``quizsvc db upgrade`` first)."""

from quizsvc.app import create_app
from quizsvc.server_banner import drop_server_header

drop_server_header()
app = create_app()
# Each gunicorn worker imports this module: with the in-process dispatcher it warms the grading
# caches and its sandbox pool first, then re-dispatches queued work (a Celery web tier only
# publishes: its workers warm up themselves).
_dispatcher = app.extensions["quizsvc.dispatcher"]
_dispatcher.warm_up()
_dispatcher.start()
