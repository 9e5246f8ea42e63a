"""The blueprints of the contest pages: the organiser's builder and results (views.py,
results_views.py) and the participant's pages (take.py, ranking_page.py). Each module adds its
routes; create_app imports them all before registering."""

from flask import Blueprint

contests = Blueprint("contests", __name__, url_prefix="/org/contests")
take = Blueprint("take", __name__)
