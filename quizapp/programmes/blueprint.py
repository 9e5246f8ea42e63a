"""The study programmes' blueprint: the member's pages (views.py) and the organiser's
(manage_views.py) add their routes to it; create_app imports both before registering."""

from flask import Blueprint

bp = Blueprint("programmes", __name__)
