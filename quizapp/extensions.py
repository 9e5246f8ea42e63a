"""Unbound extension objects, bound in create_app()."""

from functools import wraps

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from quizapp.db import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")


def limited(*decorators):
    """A view under Flask-Limiter's `limiter.limit(...)` decorators (outermost first) while the
    limiter is enabled, and the bare view while it is not: Flask-Limiter's own wrapper
    evaluates its limits on every call even when disabled, only to find none (a twentieth of
    a certificate verification)."""

    def decorate(view):
        checked = view
        for decorator in reversed(decorators):
            checked = decorator(checked)

        @wraps(view)
        def maybe_limited(*args, **kwargs):
            if limiter.enabled and limiter.initialized:
                return checked(*args, **kwargs)
            return view(*args, **kwargs)

        return maybe_limited

    return decorate
