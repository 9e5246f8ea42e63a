"""Certificate pages: public verification and JWKS, participants' downloads, organisers'
rules, list, revoke, re-issue, ZIP download and issuer images."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from quizapp.certificates import lookup, services
from quizapp.certificates.forms import ReissueForm, RevokeForm, RuleForm, UnitImagesForm
from quizapp.certificates.glue import issuer
from quizapp.certificates.models import Certificate, CertificateRule
from quizapp.certificates.render import cached_certificate, verification_url
from quizapp.contests.services import get_managed_contest
from quizapp.errors import DomainError
from quizapp.extensions import db, limiter
from quizapp.forms import db_int
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.services import get_managed_unit
from quizapp.redirects import same_site_referrer
from quizapp.rights.watch import logged
from quizapp.web import actor, now, organiser_required, paginate, public_page, run_service, t

bp = Blueprint("certificates", __name__)


def pdf_path(cert: Certificate) -> Path:
    cfg = current_app.config
    return cached_certificate(
        cert, base_url=cfg["BASE_URL"], uploads=cfg["UPLOADS_DIR"], cache=cfg["CERT_CACHE_DIR"]
    )


# --- public ---------------------------------------------------------------------------------


def _verify_rate():
    return current_app.config["VERIFY_RATE_LIMIT"]


def _miss_rate():
    return current_app.config["VERIFY_MISS_RATE_LIMIT"]


def _missed(response) -> bool:
    return response.status_code == 404


def _genuine_code() -> bool:
    """The unknown-code limit counts only misses (`deduct_when`) and never applies to a
    genuine certificate's code (`exempt_when`): an address whose misses are used up (a
    school's shared connection) still opens every real certificate."""
    return lookup.is_known(db.session, (request.view_args or {}).get("code", ""))


def _lookup_or_404(code: str) -> Certificate:
    cert = lookup.lookup(db.session, code)
    if cert is None:
        time.sleep(0.3)  # unknown codes answer slowly: guessing is pointless anyway
        abort(404)
    return cert


@bp.get("/v/<code>")
@limiter.limit(_verify_rate)
@limiter.limit(_miss_rate, deduct_when=_missed, exempt_when=_genuine_code)
def verify(code: str):
    facts = lookup.public_facts(db.session, code, now())
    if facts is None:
        time.sleep(0.3)
        return render_template("certificates/verify.html", facts=None), 404
    changed = facts.pop("changed_at")
    return public_page(
        render_template("certificates/verify.html", facts=facts),
        max_age=current_app.config["PUBLIC_CACHE_SECONDS"],
        last_modified=changed,
    )


@bp.get("/v/<code>.json")
@limiter.limit(_verify_rate)
@limiter.limit(_miss_rate, deduct_when=_missed, exempt_when=_genuine_code)
def verify_json(code: str):
    facts = lookup.public_facts(db.session, code, now())
    if facts is None:
        time.sleep(0.3)
        return jsonify({"status": "unknown"}), 404
    del facts["code"]
    changed = facts.pop("changed_at")
    return public_page(
        jsonify(facts), max_age=current_app.config["PUBLIC_CACHE_SECONDS"], last_modified=changed
    )


@bp.get("/v/<code>/credential.json")
@limiter.limit(_verify_rate)
@limiter.limit(_miss_rate, deduct_when=_missed, exempt_when=_genuine_code)
def credential(code: str):
    from quizapp.certificates.signing import b64url_decode

    cert = _lookup_or_404(code)
    if not cert.jws:  # cleared by a deletion of the person's data (quizapp/rights)
        abort(404)
    payload = json.loads(b64url_decode(cert.jws.split(".")[1]))
    body = json.dumps(
        {"status": cert.status, "jws": cert.jws, "credential": payload},
        ensure_ascii=False,
        indent=2,
    )
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{cert.serial}.json"'},
    )


@bp.get("/.well-known/jwks.json")
def jwks():
    issuer().keys.current()  # generated on first use
    return jsonify(issuer().keys.jwks())


@bp.get("/.well-known/revocations.json")
@limiter.limit(_verify_rate)
def revocations():
    """The signed list of revoked certificates (for offline and third-party verifiers)."""
    jws = services.revocation_list(db.session, issuer=issuer(), now=now())
    response = jsonify({"jws": jws})
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


# --- participants ----------------------------------------------------------------------------


@bp.get("/me/certificates")
@login_required
def mine():
    return render_template(
        "certificates/mine.html", certificates=lookup.my_certificates(db.session, current_user.id)
    )


@bp.get("/certificates/<int:cert_id>.pdf")
@login_required
def download(cert_id: int):
    cert = db.session.get(Certificate, cert_id)
    if cert is None or cert.status != "valid":
        abort(404)
    if cert.user_id != current_user.id:
        services.get_managed_certificate(db.session, cert_id, actor())  # organisers may
    return pdf_response(cert)


def pdf_response(cert: Certificate) -> Response:
    """The certificate's PDF as a private download (its owner, its organisers, followers)."""
    return Response(
        pdf_path(cert).read_bytes(),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{cert.serial}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


# --- organisers ------------------------------------------------------------------------------


@bp.route("/org/contests/<int:contest_id>/certificates", methods=["GET", "POST"])
@organiser_required
def rules(contest_id: int):
    contest = get_managed_contest(db.session, contest_id, actor())
    form = RuleForm()
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: services.save_rule(
                db.session,
                contest.id,
                services.RuleData(
                    kind=form.kind.data,
                    threshold=form.threshold.data or 0,
                    layout=form.layout.data,
                    title=form.title.data,
                    body=form.body.data or "",
                    signatory_title=form.signatory_title.data or "",
                    signatory_name=form.signatory_name.data or "",
                    place=form.place.data or "",
                    active=form.active.data,
                ),
                actor=actor(),
                now=now(),
            ),
        )
        if ok:
            flash(_("Certificate rule saved."), "success")
            return redirect(url_for("certificates.rules", contest_id=contest.id))
    existing = db.session.scalars(
        select(CertificateRule).where(CertificateRule.contest_id == contest.id)
    ).all()
    return render_template(
        "certificates/rules.html", contest=contest, form=form, rules=existing, confirm=ConfirmForm()
    )


@bp.post("/org/contests/<int:contest_id>/certificates/issue")
@organiser_required
def issue_now(contest_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    contest = get_managed_contest(db.session, contest_id, actor())
    count = services.issue_for_contest(db.session, contest_id, issuer=issuer(), now=now())
    flash(_("%(n)s certificates issued.", n=count), "success")
    if any(r.kind == "prize" for r in lookup.announced_rules(db.session, contest)):
        flash(
            _(
                "Prize certificates are not issued here: they are issued when a round's prize"
                " list is published (Results, Prizes)."
            ),
            "info",
        )
    return redirect(url_for("certificates.rules", contest_id=contest_id))


def _filters():
    a = request.args
    unit_id = a.get("unit", type=db_int)
    return dict(
        q=a.get("q", ""),
        contest_id=a.get("contest", type=db_int),
        round_id=a.get("round", type=db_int),
        status=a.get("status", ""),
        unit=get_managed_unit(db.session, unit_id, actor()) if unit_id else None,
    )


@bp.get("/org/certificates")
@organiser_required
def index():
    from quizapp.rights.access import actor_path

    f = _filters()
    page = paginate(lookup.certificates_query(actor(), **f))
    logged("certificates", unit_path=actor_path(actor()), people=len(page.items))
    return render_template(
        "certificates/index.html", page=page, f=f, revoke=RevokeForm(), reissue=ReissueForm()
    )


@bp.post("/org/certificates/<int:cert_id>/revoke")
@organiser_required
def revoke(cert_id: int):
    services.get_managed_certificate(db.session, cert_id, actor())  # 404 outside the subtree
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revoking."), "error")
    else:
        try:
            services.revoke(db.session, cert_id, form.reason.data, actor=actor(), now=now())
            flash(_("Certificate revoked."), "success")
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 404:
                raise
            flash(t(exc.message, exc.params), "error")
    return redirect(
        same_site_referrer(request.referrer, request.host, url_for("certificates.index"))
    )


@bp.post("/org/certificates/<int:cert_id>/reissue")
@organiser_required
def reissue(cert_id: int):
    services.get_managed_certificate(db.session, cert_id, actor())  # 404 outside the subtree
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            new = services.reissue(
                db.session, cert_id, form.name.data, actor=actor(), issuer=issuer(), now=now()
            )
            flash(_("Re-issued as %(serial)s.", serial=new.serial), "success")
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 404:
                raise
            flash(t(exc.message, exc.params), "error")
    return redirect(
        same_site_referrer(request.referrer, request.host, url_for("certificates.index"))
    )


@bp.get("/org/certificates/export.zip")
@organiser_required
def export_zip():
    """Every valid certificate of the selection in one ZIP, streamed as it is built."""
    stmt = lookup.certificates_query(actor(), **{**_filters(), "status": "valid"})
    ids = db.session.scalars(stmt.with_only_columns(Certificate.id)).all()

    def generate():
        buffer = _ChunkBuffer()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
            for start in range(0, len(ids), 50):  # a batch at a time: memory stays flat
                batch = db.session.scalars(
                    select(Certificate).where(Certificate.id.in_(ids[start : start + 50]))
                ).all()
                for cert in batch:
                    zf.write(pdf_path(cert), f"{cert.serial}.pdf")
                    yield from buffer.drain()
                db.session.expunge_all()
        yield from buffer.drain()

    return Response(
        stream_with_context(generate()),
        mimetype="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="giay-chung-nhan.zip"',
            "X-Certificate-Count": str(len(ids)),
        },
    )


class _ChunkBuffer(io.RawIOBase):
    """A write-only file that hands its bytes out in chunks (ZIP streaming)."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self):
        return True

    def write(self, b):
        self.chunks.append(bytes(b))
        self.position += len(b)
        return len(b)

    def tell(self):
        return self.position

    def drain(self):
        chunks, self.chunks = self.chunks, []
        yield from chunks


@bp.route("/org/units/<int:unit_id>/images", methods=["GET", "POST"])
@organiser_required
def unit_images(unit_id: int):
    """Logo and seal/signature printed on the unit's certificates."""
    unit = get_managed_unit(db.session, unit_id, actor())
    form = UnitImagesForm()
    folder = Path(current_app.config["UPLOADS_DIR"]) / "units" / str(unit.id)
    if form.validate_on_submit():
        from quizapp.images import ImageRefused, open_bounded

        for field in (form.logo, form.seal):
            if not field.data:
                continue
            try:
                image = open_bounded(field.data.stream, current_app.config["IMAGE_MAX_PIXELS"])
            except ImageRefused as exc:
                field.errors = [t(exc.message, exc.params)]
                continue
            folder.mkdir(parents=True, exist_ok=True)
            image.save(folder / f"{field.name}.png", format="PNG")
        if not form.logo.errors and not form.seal.errors:
            flash(_("Images saved; new certificates will carry them."), "success")
            return redirect(url_for("certificates.unit_images", unit_id=unit.id))
    present = {n: (folder / f"{n}.png").is_file() for n in ("logo", "seal")}
    return render_template("certificates/unit_images.html", unit=unit, form=form, present=present)


__all__ = ["bp", "verification_url"]
