"""WSGI entry for gunicorn: ``gunicorn 'quizsvc.wsgi:app'`` (run ``quizsvc db upgrade`` first)."""

from quizsvc.app import create_app

app = create_app()
# Each gunicorn worker imports this module: its dispatcher re-dispatches queued work at start.
app.extensions["quizsvc.dispatcher"].start()
