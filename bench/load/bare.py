"""The ceiling: a bare Flask endpoint, served by the same gunicorn configuration as the app
(`gunicorn -c gunicorn.conf.py bench.load.bare:app`). Every figure of `make bench` is
compared with what this one measures in the same run."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "ok"
