"""WSGI entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

from quizapp import create_app

app = create_app()
