"""Certificates end to end: issued on submission, PDF with intact Vietnamese text and a QR
code a real decoder reads, embedded credential that verifies (and fails when edited),
verification page and JSON (valid, revoked, unknown, no private data), ZIP, re-issue."""

import io
import json
import subprocess
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quizapp import events
from quizapp.auth.services import actor_for
from quizapp.certificates import glue, services
from quizapp.certificates.models import Certificate
from quizapp.certificates.offline import read_token
from quizapp.certificates.signing import KeyStore, VerificationError, verify_jws
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.policy import SYSTEM
from quizapp.timeutil import local_today
from tests.conftest import NOW
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user


@pytest.fixture()
def world(app, session, now):
    # The test's own session signs with the app's keys, as the app's sessions do.
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn khu phố Mỹ Long", parent=province, code="AG-ML")
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=3)
    services.save_rule(
        session,
        contest.id,
        services.RuleData(
            kind="achievement",
            threshold=60,
            signatory_title="TM. BAN THƯỜNG VỤ TỈNH ĐOÀN",
            signatory_name="Trần Văn Bảo",
            place="An Giang",
        ),
        actor=SYSTEM,
        now=now,
    )
    session.commit()
    return dict(province=province, branch=branch, contest=contest, app=app)


def take(session, world, now, name, *, right=True, born=date(2004, 6, 15)):
    with world["app"].app_context():  # the submission hook signs with the app's keys
        return _take(session, world, now, name, right=right, born=born)


def _take(session, world, now, name, *, right=True, born=date(2004, 6, 15)):
    user = make_user(session, role="member", unit=world["branch"], name=name)
    user.member.full_name = name
    user.member.birth_date = born
    user.member.email = f"{user.id}@mail.example.vn"
    attempt = S.start_attempt(
        session, world["contest"].rounds[0].id, user=user, actor=actor_for(user), now=now
    )
    for aq in attempt.questions:
        if aq.option_order:
            shown = aq.option_order.index(0) if right else aq.option_order.index(1)
            A.save_answer(
                session, attempt.id, aq.position, {"choices": [shown]}, user=user, now=now
            )
        else:
            A.save_answer(
                session,
                attempt.id,
                aq.position,
                {"value": "true" if right else "false"},
                user=user,
                now=now,
            )
    A.submit_attempt(session, attempt.id, user=user, now=now)
    session.commit()
    return user, attempt


def test_issued_on_submission_once(app, client, session, world, now):
    user, attempt = take(session, world, now, "Nguyễn Thị Hồng Nhung")
    take(session, world, now, "Lê Văn Trượt", right=False)
    certs = session.scalars(select(Certificate)).all()
    assert [c.recipient_name for c in certs] == ["Nguyễn Thị Hồng Nhung"]
    cert = certs[0]
    assert (
        cert.serial.startswith(f"AG-{now.year}-")
        and len(cert.code) == 26
        and cert.birth_year == 2004
    )
    with app.app_context():
        from quizapp.certificates.glue import issuer

        again = services.issue_for_contest(session, world["contest"].id, issuer=issuer(), now=now)
    assert again == 0 and session.scalar(select(func.count()).select_from(Certificate)) == 1
    with pytest.raises(IntegrityError), session.begin_nested():  # the database refuses it too
        session.add(
            Certificate(
                serial="X-1",
                code="x" * 26,
                kind="achievement",
                achievement_key=cert.achievement_key,
                recipient_name="?",
                issuer_unit_id=cert.issuer_unit_id,
                achievement={},
                jws="x",
            )
        )
        session.flush()


def test_serials_come_from_a_counter_started_after_those_issued(app, session, world, now):
    """Serials come from a per-unit, per-year counter: started after the certificates
    already issued (here two, from before the counter), skipping a serial already taken."""
    from quizapp.certificates.models import SerialCounter

    for n, letter in ((1, "a"), (3, "b")):
        session.add(
            Certificate(
                serial=f"AG-{now.year}-{n:06d}",
                code=letter * 26,
                kind="achievement",
                achievement_key=f"old:{n}",
                recipient_name="Người nhận cũ",
                issuer_unit_id=world["province"].id,
                achievement={},
                jws="x",
            )
        )
    session.commit()
    for name in ("Nguyễn Văn An", "Trần Thị Bình"):
        take(session, world, now, name)
    new = session.scalars(
        select(Certificate.serial).where(~Certificate.achievement_key.startswith("old:"))
    ).all()
    assert sorted(new) == [f"AG-{now.year}-000004", f"AG-{now.year}-000005"]  # 3 was taken: skipped
    counter = session.get(SerialCounter, (world["province"].id, now.year))
    assert counter.last == 5


def test_pdf_text_qr_and_embedded_credential(app, client, session, world, now, tmp_path):
    user, attempt = take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    client.post("/login", data={"identifier": user.email, "password": "correct horse"})
    resp = client.get(f"/certificates/{cert.id}.pdf")
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-"
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(resp.data)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for expected in (
        "Đặng Hữu Phước",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập – Tự do – Hạnh phúc",
        "TỈNH ĐOÀN AN GIANG",
        cert.serial,
        "Trần Văn Bảo",
        "Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng",
    ):
        assert expected in text, expected
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all("DejaVu" in f for f in fonts)
    assert all(f.split()[-5] == "yes" for f in fonts), fonts  # every font embedded
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True
    ).stdout.strip()
    assert decoded == f"http://127.0.0.1:5000/v/{cert.code}"
    jwks = client.get("/.well-known/jwks.json").get_json()
    payload = verify_jws(read_token(str(pdf)), jwks)
    assert payload["credentialSubject"]["name"] == "Đặng Hữu Phước"
    assert payload["id"].endswith(cert.code) and payload["type"][-1] == "OpenBadgeCredential"
    token = read_token(str(pdf))
    flipped = token[:40] + ("B" if token[40] != "B" else "C") + token[41:]
    with pytest.raises(VerificationError):
        verify_jws(flipped, jwks)
    cached = client.get(f"/certificates/{cert.id}.pdf")
    assert cached.data == resp.data  # served from the cache
    from pypdf import PdfReader

    xmp = PdfReader(str(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp and b"pdfaid:conformance" in xmp  # PDF/A-3b


def test_verification_page_valid_revoked_unknown_and_private_data(
    app, client, session, world, now, login_as
):
    user, _attempt = take(session, world, now, "Nguyễn Thị Hồng Nhung")
    cert = session.scalar(select(Certificate))
    page = client.get(f"/v/{cert.code}").get_data(as_text=True)
    assert "Hợp lệ" in page and "Nguyễn Thị Hồng Nhung" in page and "2004" in page
    for private in (user.phone, user.member.email, "15/06/2004", "2004-06-15"):
        assert private not in page
    data = client.get(f"/v/{cert.code}.json").get_json()
    assert data["status"] == "valid" and data["recipient"] == "Nguyễn Thị Hồng Nhung"
    assert not {"phone", "email", "birth_date", "cccd"} & set(data)
    assert user.phone not in json.dumps(data)
    unknown = client.get("/v/" + "a" * 26)
    assert unknown.status_code == 404 and "Không tồn tại" in unknown.get_data(as_text=True)
    assert client.get("/v/" + "b" * 26 + ".json").get_json() == {"status": "unknown"}
    login_as("organiser", world["province"])
    resp = client.post(f"/org/certificates/{cert.id}/revoke", data={"reason": "Gian lận"})
    assert resp.status_code == 302
    page = client.get(f"/v/{cert.code}").get_data(as_text=True)
    assert "Đã thu hồi" in page and "Gian lận" in page
    assert client.get(f"/v/{cert.code}.json").get_json()["status"] == "revoked"
    credential = client.get(f"/v/{cert.code}/credential.json").get_json()
    assert credential["status"] == "revoked" and credential["credential"]["serial"] == cert.serial


def test_verification_shows_no_birth_year_of_a_minor(app, client, session, world, now, clock):
    """Issue 20: the public check page, its JSON and the signed credential show no year of
    birth of someone who may be a minor (the year alone: 18 this year may still be 17)."""
    # Years of Vietnam's calendar. 17 on any day of the year (16 and over need no guardian
    # consent), so a minor; 18 this year may still be 17.
    year = local_today(now).year
    take(session, world, now, "Lê Thị Út", born=date(year - 17, 1, 1))
    take(session, world, now, "Phạm Văn Mười Tám", born=date(year - 18, 1, 2))
    young, eighteen = session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert young.birth_year == year - 17  # the holder's PDF keeps it
    for cert in (young, eighteen):
        page = client.get(f"/v/{cert.code}").get_data(as_text=True)
        assert "Lê Thị Út" in page or "Phạm Văn Mười Tám" in page
        assert "Năm sinh" not in page and str(cert.birth_year) not in page
        data = client.get(f"/v/{cert.code}.json").get_json()
        assert data["birth_year"] is None
        signed = client.get(f"/v/{cert.code}/credential.json").get_json()["credential"]
        assert signed["credentialSubject"]["birthYear"] is None
    clock.set(datetime(year + 1, 1, 10, tzinfo=UTC))  # surely 18 now
    page = client.get(f"/v/{eighteen.code}").get_data(as_text=True)
    assert "Năm sinh" in page and str(eighteen.birth_year) in page
    assert client.get(f"/v/{young.code}.json").get_json()["birth_year"] is None


def test_verification_sets_no_cookie_and_dates_revocation_in_vietnam_time(
    app, client, session, world, now
):
    """A QR scan is anonymous: no session, no Set-Cookie (so a cache may keep the page). A
    revocation at 23:30 UTC happened the next day in Vietnam, on the page and in the JSON."""
    take(session, world, now, "Lý Thị Thu")
    cert = session.scalar(select(Certificate))
    resp = client.get(f"/v/{cert.code}")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    assert client.get(f"/v/{cert.code}.json").get_json()["revoked_on"] is None
    cert.status, cert.revoked_reason = "revoked", "Sai tên"
    cert.revoked_at = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    session.commit()
    resp = client.get(f"/v/{cert.code}")
    page = resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers
    assert "10/03/2026" in page and "09/03/2026" not in page and "Sai tên" in page
    assert client.get(f"/v/{cert.code}.json").get_json()["revoked_on"] == "2026-03-10"
    client.post("/lang", data={"lang": "en", "next": f"/v/{cert.code}"})
    assert "Revoked on 10/03/2026" in client.get(f"/v/{cert.code}").get_data(as_text=True)


def test_reissue_after_name_correction(app, client, session, world, now, login_as):
    take(session, world, now, "Nguyen Thi Hong Nhung")
    old = session.scalar(select(Certificate))
    login_as("organiser", world["province"])
    client.post(f"/org/certificates/{old.id}/reissue", data={"name": "Nguyễn Thị Hồng Nhung"})
    session.expire_all()
    old = session.get(Certificate, old.id)
    new = session.get(Certificate, old.replaced_by_id)
    assert old.status == "revoked" and new.recipient_name == "Nguyễn Thị Hồng Nhung"
    assert new.achievement_key == old.achievement_key.split(":replaced:")[0]
    assert new.serial != old.serial and new.status == "valid"


def test_zip_holds_exactly_the_selection(app, client, session, world, now, login_as):
    for name in ("Phạm Minh Châu", "Võ Thị Sáu", "Hồ Văn Đức"):
        take(session, world, now, name)
    other_province = make_unit(session, "Tỉnh khác", code="TK")
    session.commit()
    certs = session.scalars(select(Certificate)).all()
    login_as("organiser", world["province"])
    client.post(f"/org/certificates/{certs[1].id}/revoke", data={"reason": "Sai"})
    resp = client.get(f"/org/certificates/export.zip?contest={world['contest'].id}")
    names = sorted(zipfile.ZipFile(io.BytesIO(resp.data)).namelist())
    assert names == sorted(f"{c.serial}.pdf" for c in certs if c.id != certs[1].id)
    by_unit = client.get(f"/org/certificates/export.zip?unit={other_province.id}")
    assert by_unit.status_code == 404  # a unit outside the organiser's subtree
    branch_zip = client.get(f"/org/certificates/export.zip?unit={world['branch'].id}")
    assert len(zipfile.ZipFile(io.BytesIO(branch_zip.data)).namelist()) == 2
    client.post("/logout")
    login_as("organiser", other_province)
    resp = client.get("/org/certificates/export.zip")
    assert zipfile.ZipFile(io.BytesIO(resp.data)).namelist() == []


def test_offline_verify_command(app, runner, session, world, now, tmp_path, files_dir):
    take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    token_file = tmp_path / "token.txt"
    token_file.write_text(cert.jws)
    ok = runner.invoke(args=["verify-certificate", str(token_file)])
    assert ok.exit_code == 0 and "VALID" in ok.output and "Đặng Hữu Phước" in ok.output
    bad = cert.jws[:-3] + ("AAA" if not cert.jws.endswith("AAA") else "BBB")
    result = runner.invoke(args=["verify-certificate", bad])
    assert result.exit_code == 1 and "NOT VALID" in result.output
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(KeyStore(files_dir["SIGNING_KEY_DIR"], now=lambda: NOW).jwks()))
    assert runner.invoke(args=["verify-certificate", cert.jws, "--jwks", str(jwks)]).exit_code == 0


def test_certificates_are_private_to_owner_and_organisers(
    app, client, session, world, now, login_as
):
    take(session, world, now, "Nguyễn Thị Hồng Nhung")
    cert = session.scalar(select(Certificate))
    login_as("member", world["branch"])
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 404
    mine = client.get("/me/certificates").get_data(as_text=True)
    assert 'class="empty"' in mine and cert.serial not in mine


def test_export_command_by_unit(app, runner, session, world, now, tmp_path):
    take(session, world, now, "Phạm Minh Châu")
    take(session, world, now, "Võ Thị Sáu")
    out = tmp_path / "all.zip"
    result = runner.invoke(args=["export-certificates", "--unit", "AG-ML", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 2 certificates" in result.output
    assert len(zipfile.ZipFile(out).namelist()) == 2
    other = make_unit(session, "Tỉnh khác", code="TK")
    session.commit()
    result = runner.invoke(args=["export-certificates", "--unit", other.code, "-o", str(out)])
    assert "wrote 0 certificates" in result.output


def test_result_page_offers_the_certificate(app, client, session, world, now):
    user, attempt = take(session, world, now, "Nguyễn Thị Hồng Nhung")
    cert = session.scalar(select(Certificate))
    client.post("/login", data={"identifier": user.email, "password": "correct horse"})
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f"/certificates/{cert.id}.pdf" in page and cert.serial in page


def test_unit_logo_and_seal_are_printed(app, client, session, world, now, login_as, tmp_path):
    from PIL import Image

    login_as("organiser", world["province"])
    png = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 20, 20)).save(png, format="PNG")
    resp = client.post(
        f"/org/units/{world['province'].id}/images",
        data={"seal": (io.BytesIO(png.getvalue()), "seal.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    bad = client.post(
        f"/org/units/{world['province'].id}/images",
        data={"logo": (io.BytesIO(b"not an image"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200  # refused with a message, nothing saved
    client.post("/logout")
    user, _attempt = take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    client.post("/login", data={"identifier": user.email, "password": "correct horse"})
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(client.get(f"/certificates/{cert.id}.pdf").data)
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(images) == 2  # the QR code and the uploaded seal


def test_unknown_codes_are_rate_limited(engine, connection, files_dir, clock):
    from quizapp import create_app
    from quizapp.extensions import db
    from tests.conftest import TEST_SETTINGS

    app = create_app(
        {
            **TEST_SETTINGS,
            **files_dir,
            "ENGINE": engine,
            "RATELIMIT_ENABLED": True,
            "VERIFY_MISS_RATE_LIMIT": "2 per minute",
        },
        clock=clock,
    )
    db.rebind(connection)
    client = app.test_client()
    codes = [client.get("/v/" + c * 26).status_code for c in "abc"]
    assert codes == [404, 404, 429]
    db.session.remove()


def test_regrade_below_threshold_revokes_the_achievement(app, session, world, now):
    from quizapp.contests import regrade
    from quizapp.contests.models import Attempt

    user, attempt = take(session, world, now, "Nguyễn Thị Hồng Nhung")  # 3/3, threshold 60 %
    cert = session.scalar(select(Certificate))
    rnd = world["contest"].rounds[0]
    attempt = session.get(Attempt, attempt.id)
    with world["app"].app_context():
        for aq in attempt.questions[:2]:  # two keys corrected against her answers: 1/3
            regrade.apply(
                session, rnd, aq.version_id, "rekey", [1], "Sửa đáp án", actor=SYSTEM, now=now
            )
    session.expire_all()
    assert session.get(Attempt, attempt.id).correct_count == 1
    cert = session.get(Certificate, cert.id)
    assert cert.status == "revoked" and "không còn đạt" in cert.revoked_reason


def test_prize_certificates_follow_the_published_prize_list(app, session, world, now):
    from quizapp.contests import results as R

    services.save_rule(
        session, world["contest"].id, services.RuleData(kind="prize"), actor=SYSTEM, now=now
    )
    take(session, world, now, "Phạm Minh Châu")
    take(session, world, now, "Võ Thị Sáu", right=False)
    rnd = world["contest"].rounds[0]
    R.set_prize_counts(
        session,
        rnd.id,
        {"first": 1, "second": 0, "third": 0, "consolation": 0},
        actor=SYSTEM,
        now=now,
    )
    after = rnd.closes_at + timedelta(minutes=1)
    with world["app"].app_context():
        R.publish_prizes(session, rnd.id, actor=SYSTEM, now=after)
    prize = session.scalar(select(Certificate).where(Certificate.kind == "prize"))
    assert prize.recipient_name == "Phạm Minh Châu" and prize.achievement["prize"] == "Giải Nhất"
    # The default text names the contest and the round, not only the prize (issue 21).
    assert prize.achievement["body"] == f"Đạt Giải Nhất {world['contest'].title} – {rnd.title}"
    R.set_prize_counts(session, rnd.id, {"first": 0, "second": 2}, actor=SYSTEM, now=after)
    with world["app"].app_context():
        R.publish_prizes(session, rnd.id, actor=SYSTEM, now=after)  # published again
    session.expire_all()
    prizes = session.scalars(select(Certificate).where(Certificate.kind == "prize")).all()
    assert session.get(Certificate, prize.id).status == "revoked"
    valid = sorted(c.recipient_name for c in prizes if c.status == "valid")
    assert valid == ["Phạm Minh Châu", "Võ Thị Sáu"]


def test_offline_verify_reports_revoked_and_malformed(
    app, client, runner, session, world, now, tmp_path, files_dir
):
    """A revoked certificate is reported (exit 2) from this site's list or from the signed
    list published at /.well-known/revocations.json; malformed tokens give a clear error."""
    from quizapp.certificates.signing import b64url

    take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    published_before = client.get("/.well-known/revocations.json").get_json()
    before = tmp_path / "before.json"
    before.write_text(json.dumps(published_before))
    with app.app_context():
        services.revoke(session, cert.id, "Sai tên", actor=SYSTEM, now=now)
    session.commit()
    result = runner.invoke(args=["verify-certificate", cert.jws])
    assert result.exit_code == 2 and "REVOKED" in result.output, result.output
    published = client.get("/.well-known/revocations.json")
    assert published.status_code == 200 and "max-age=300" in published.headers["Cache-Control"]
    listed = tmp_path / "revocations.json"
    listed.write_text(published.get_data(as_text=True))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    args = ["verify-certificate", cert.jws, "--jwks", str(jwks)]
    result = runner.invoke(args=[*args, "--revocations", str(listed)])
    assert result.exit_code == 2 and "REVOKED" in result.output
    assert runner.invoke(args=[*args, "--revocations", str(before)]).exit_code == 0
    # A list whose signature does not verify is not believed.
    forged = json.loads(listed.read_text())
    forged["jws"] = forged["jws"][:-4] + "AAAA"
    listed.write_text(json.dumps(forged))
    result = runner.invoke(args=[*args, "--revocations", str(listed)])
    assert result.exit_code == 1 and "NOT VALID" in result.output
    for token in (
        b64url(b"[1, 2]") + "." + b64url(b"{}") + ".AAAA",  # a header that is a list
        b64url(b'{"alg": "EdDSA", "kid": ["x"]}') + ".e30.AAAA",
        "not-a-token",
        "a.b.c.d",
        b64url(b"\xff\xfe") + ".e30.AAAA",
    ):
        result = runner.invoke(args=["verify-certificate", token])
        assert result.exit_code == 1 and "NOT VALID" in result.output, (token, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_credential_download_counts_unknown_codes(app_with):
    client = app_with(RATELIMIT_ENABLED=True, VERIFY_MISS_RATE_LIMIT="2 per minute").test_client()
    codes = [client.get(f"/v/{'x' * 25}{n}/credential.json").status_code for n in range(3)]
    assert codes == [404, 404, 429]


def test_public_pages_are_cacheable_and_revalidate(client, session, world, now):
    """Anonymous QR scans share one cacheable answer (public, max-age, ETag, Last-Modified)
    and a revalidation gets 304; a logged-in browser's copy stays private."""
    take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    for url in (f"/v/{cert.code}", f"/v/{cert.code}.json"):
        first = client.get(url)
        assert first.status_code == 200
        assert (
            "public" in first.headers["Cache-Control"]
            and "max-age=30" in first.headers["Cache-Control"]
        )
        assert first.headers["ETag"] and first.headers["Last-Modified"]
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
    contest = world["contest"]
    landing = client.get(f"/c/{contest.slug}")
    assert "max-age=5" in landing.headers["Cache-Control"] and "Set-Cookie" not in landing.headers
    ranking = client.get(f"/c/{contest.slug}/rounds/{contest.rounds[0].id}/ranking")
    assert "public" in ranking.headers["Cache-Control"]
    assert (
        client.get(
            ranking.request.path, headers={"If-None-Match": ranking.headers["ETag"]}
        ).status_code
        == 304
    )
    client.set_cookie("quizapp_session", "x")
    private = client.get(f"/v/{cert.code}")
    assert private.headers["Cache-Control"] == "no-store" and "ETag" not in private.headers


def test_revocation_changes_the_public_answer(app, client, session, world, now):
    take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    before = client.get(f"/v/{cert.code}.json")
    with app.app_context():
        services.revoke(session, cert.id, "Sai tên", actor=SYSTEM, now=now + timedelta(hours=1))
    session.commit()
    after = client.get(f"/v/{cert.code}.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["status"] == "revoked"
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]


def test_used_up_misses_never_block_a_genuine_certificate(app_with, session, world, now):
    """A school's shared address that has used up its unknown-code misses still opens every
    real certificate (page, JSON, credential); the unknown codes stay refused, with a
    translated 429 that says when to try again."""
    _user, attempt = take(session, world, now, "Nguyễn Thị Hồng Nhung")
    cert = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    client = app_with(RATELIMIT_ENABLED=True, VERIFY_MISS_RATE_LIMIT="2 per minute").test_client()
    assert [client.get(f"/v/{c * 26}").status_code for c in "ab"] == [404, 404]
    refused = client.get("/v/" + "c" * 26)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "Bạn đã thử quá nhiều lần. Hãy thử lại sau 60 giây." in page
    assert "Too many" not in page
    # the JSON address counts its own misses, and is refused in JSON
    assert [client.get(f"/v/{c * 26}.json").status_code for c in "de"] == [404, 404]
    json_refused = client.get("/v/" + "f" * 26 + ".json")
    assert json_refused.status_code == 429 and "60 giây" in json_refused.get_json()["error"]
    for _ in range(3):  # genuine codes, again and again: never counted, never refused
        assert client.get(f"/v/{cert.code}").status_code == 200
        assert client.get(f"/v/{cert.code}.json").get_json()["status"] == "valid"
        assert client.get(f"/v/{cert.code}/credential.json").status_code == 200
    assert client.get(f"/v/{cert.code.upper()}").status_code == 200  # as typed from paper


def test_genuine_lookups_do_not_count_as_misses(app_with, session, world, now):
    _user, attempt = take(session, world, now, "Nguyễn Thị Hồng Nhung")
    cert = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    client = app_with(RATELIMIT_ENABLED=True, VERIFY_MISS_RATE_LIMIT="2 per minute").test_client()
    for _ in range(5):
        assert client.get(f"/v/{cert.code}.json").status_code == 200
    assert [client.get(f"/v/{c * 26}").status_code for c in "abc"] == [404, 404, 429]


def pdf_lines(data: bytes, tmp_path) -> list[str]:
    """The rendered PDF's text, one entry per printed line (pdftotext keeps line breaks)."""
    path = tmp_path / "lines.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return [" ".join(line.split()) for line in out.stdout.splitlines() if line.strip()]


def test_certificate_prints_the_units_place_and_signatory_without_orphan_lines(
    app, client, session, world, now, login_as, tmp_path
):
    """Issue 20: the place came from the union's name, the year "2026" fell onto a line of
    its own, the round's name was wrapped and the signatory's name was missing. The unit's
    own organiser sets the place and signatory on the unit's page; the rule gives none."""
    province, contest = world["province"], world["contest"]
    services.save_rule(
        session,
        contest.id,
        services.RuleData(kind="achievement", threshold=60),
        actor=SYSTEM,
        now=now,
    )
    contest.title = (
        "Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng năm 2026 dành cho đoàn viên, "
        "thanh niên và học sinh trên địa bàn tỉnh An Giang"
    )
    contest.rounds[0].title = "Tuần thi thứ 3 – Bảo vệ dữ liệu cá nhân trên mạng xã hội"
    session.commit()
    login_as("organiser", province)
    resp = client.post(
        f"/org/units/{province.id}",
        data={
            "name": province.name,
            "code": province.code,
            "type_key": province.type_key,
            "locality": "Thành phố Long Xuyên",
            "signatory_title": "TM. BAN THƯỜNG VỤ TỈNH ĐOÀN BÍ THƯ",
            "signatory_name": "Nguyễn Thị Thanh Hương",
        },
    )
    assert resp.status_code == 302
    assert "Thành phố Long Xuyên" in client.get(f"/org/units/{province.id}").get_data(as_text=True)
    session.expire_all()  # the unit as the request saved it
    take(session, world, now, "Đặng Hữu Phước")
    cert = session.scalar(select(Certificate))
    assert cert.achievement["signatory_name"] == "Nguyễn Thị Thanh Hương"  # frozen at issue
    lines = pdf_lines(client.get(f"/certificates/{cert.id}.pdf").data, tmp_path)
    day = now.astimezone(timezone(timedelta(hours=7)))
    date_line = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    assert f"Thành phố Long Xuyên, {date_line}" in lines, lines  # one line, the year on it
    assert not any(province.name in line and "ngày" in line for line in lines)
    assert "Nguyễn Thị Thanh Hương" in lines and "TM. BAN THƯỜNG VỤ TỈNH ĐOÀN BÍ THƯ" in lines
    assert contest.rounds[0].title in lines  # the round's name on one line
    text = [line for line in lines if cert.code not in line and not line.startswith("http")]
    assert all(len(line.split()) > 1 for line in text), lines  # no word left alone
