"""Login, logout, registration, password reset and the member's own page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from quizapp.auth import services, tokens
from quizapp.auth.forms import ChangePasswordForm, LoginForm, RegisterForm, ResetForm
from quizapp.errors import Invalid
from quizapp.extensions import db, limiter
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.services import ancestors
from quizapp.redirects import safe_next
from quizapp.textutil import normalise_email, normalise_phone
from quizapp.web import copy_errors, now, run_service

bp = Blueprint("auth", __name__)


class _SessionUser:
    """Flask-Login stores get_id() in the cookie: here the login session's random id."""

    def __init__(self, user, sid):
        self._user, self._sid = user, sid
        self.is_authenticated, self.is_active, self.is_anonymous = True, True, False

    def get_id(self):
        return self._sid


def _login_rate():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_rate():
    return current_app.config["REGISTER_RATE_LIMIT"]


def _login_account_rate():
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account_key():
    """The account tried (phone or e-mail as typed, normalised): guessing one person's
    password from many addresses hits this limit as guessing from one address hits the
    other."""
    typed = request.form.get("identifier", "")
    return "login-account:" + (normalise_phone(typed) or normalise_email(typed) or typed[:100])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
@limiter.limit(_login_account_rate, key_func=_login_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.identifier.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Wrong phone number/e-mail or password."))
        else:
            _log_in(user)
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    return render_template("auth/login.html", form=form)


def _log_in(user) -> None:
    login = services.open_session(db.session, user, user_agent=request.user_agent.string, now=now())
    session.clear()  # a fresh session (and CSRF token) at every login
    login_user(_SessionUser(user, login.id))


@bp.post("/logout")
def logout():
    sid = session.get("_user_id")
    if sid:
        services.close_session(db.session, sid)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_rate, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.is_submitted():
        reg = services.Registration(
            full_name=form.full_name.data,
            birth_date=form.birth_date.data,
            phone=form.phone.data,
            password=form.password.data,
            unit_id=form.unit_id.data,
            categories=tuple(form.categories.data or ()),
            consent=form.consent.data,
            email=form.email.data or None,
            cccd=form.cccd.data or None,
            guardian_name=form.guardian_name.data or None,
            guardian_consent=form.guardian_consent.data,
        )
        ok = False
        if not form.validate():
            # Every field at once: the service's rules for the fields the form could read.
            problems = services.registration_errors(db.session, reg, now=now())
            copy_errors(form, Invalid({f: m for f, m in problems.items() if not form[f].errors}))
        else:
            ok, user = run_service(
                form,
                lambda: services.register_member(
                    db.session,
                    reg,
                    consent_version=current_app.config["CONSENT_TEXT_VERSION"],
                    pii_key=current_app.config["PII_HASH_KEY"],
                    now=now(),
                ),
            )
        if ok:
            # Logged in at once, and back where the visitor came from (a contest's page).
            _log_in(user)
            if services.pending_claim(db.session, user.id):
                flash(
                    _(
                        "Your account is ready. Your phone number is already on a unit's "
                        "roster: your organiser will confirm that this roster entry is you "
                        "before you can take part."
                    ),
                    "info",
                )
            else:
                flash(_("Welcome! Your account is ready and you are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    return render_template("auth/register.html", form=form)


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def password_reset():
    form = ResetForm()
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: services.reset_password(
                db.session, form.identifier.data, form.code.data, form.password.data, now=now()
            ),
        )
        if ok:
            flash(_("Your password has been changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: services.change_password(
                db.session,
                current_user,
                form.old_password.data,
                form.new_password.data,
                keep_session=session.get("_user_id"),
            ),
        )
        if ok:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.me"))
    member = current_user.member
    path = ancestors(db.session, member.unit) if member else []
    return render_template(
        "auth/me.html",
        form=form,
        member=member,
        unit_path=path,
        needs_guardian=services.needs_guardian_consent(member, now()),
        app_logins=tokens.active_logins(db.session, current_user.id, now()),
        revoke_form=ConfirmForm(),
    )


@bp.post("/me/apps/<family>/revoke")
@login_required
def revoke_app(family: str):
    """Log an app out (its refresh token, and at its next request its access token)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if tokens.revoke_family(db.session, current_user.id, family, now=now()):
        flash(_("The app has been logged out."), "success")
    return redirect(url_for("auth.me"))
