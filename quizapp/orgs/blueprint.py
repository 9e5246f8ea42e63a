"""The organiser pages' blueprint: the unit tree (views.py) and the rosters (member_views.py)
add their routes to it; create_app imports both before registering."""

from flask import Blueprint

bp = Blueprint("orgs", __name__)
