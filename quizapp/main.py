"""Site-wide pages: home, health check, language switch."""

from __future__ import annotations

import hashlib

from flask import Blueprint, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from quizapp.extensions import csrf, db
from quizapp.redirects import safe_next
from quizapp.web import actor, now

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if current_user.is_authenticated and actor().is_organiser:
        return redirect(url_for("orgs.dashboard"))
    contests = []
    if current_user.is_authenticated:
        from quizapp.contests.starting import open_contests_for

        contests = open_contests_for(db.session, current_user, now())
    return render_template("home.html", contests=contests)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers (no database: a database outage must not make the
    supervisor restart every worker). Readiness is /readyz."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness for a load balancer: the database answers, its schema is at the code's
    migration head and the signing keys are there; 503 naming the checks that failed."""
    from quizapp.ops.health import readiness

    checks = readiness()
    failed = sorted(name for name, result in checks.items() if result != "ok")
    body = {"status": "unready" if failed else "ready", "checks": checks}
    if failed:
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


# What the service worker keeps for the quiz to work offline (templates/offline/sw.js).
OFFLINE_ASSETS = ("css/app.css", "js/quiz.js")


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the site's root so that its scope covers the quiz pages. Its
    content names the versioned static files, so a new release installs a new worker."""
    assets = [url_for("static", filename=name) for name in OFFLINE_ASSETS]
    version = hashlib.sha256("|".join(assets).encode()).hexdigest()[:12]
    body = render_template(
        "offline/sw.js", assets=assets, version=version, offline_url=url_for("main.offline")
    )
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """The page the service worker shows when another page cannot be fetched."""
    response = make_response(render_template("offline/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/lang")
@csrf.exempt  # the worst a forged request can do is switch the language; without a token the
# footer's form needs no session, so anonymous visitors' pages (QR verification, public
# rankings) carry no Set-Cookie and cost no session signing
def set_language():
    lang = request.form.get("lang", "vi")
    target = safe_next(request.form.get("next"), url_for("main.home"))
    response = make_response(redirect(target))
    if lang in ("vi", "en"):
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
