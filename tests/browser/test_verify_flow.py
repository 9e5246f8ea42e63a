"""A stranger scans a certificate's QR code on a phone: the decoded URL opens the
verification page, which passes axe-core; after revocation the page says so."""

import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.browser


def test_scan_qr_open_verification_page(
    live_server, live_app, live_clock, page, check_a11y, tmp_path
):
    from quizapp.certificates.glue import issuer
    from quizapp.certificates.render import render_certificate
    from quizapp.certificates.services import _create, revoke
    from quizapp.extensions import db
    from quizapp.orgs.models import Unit
    from quizapp.policy import SYSTEM

    now = live_clock.now()
    with live_app.app_context(), live_app.test_request_context():
        live_app.config["BASE_URL"] = live_server
        unit = db.session.scalar(select(Unit).where(Unit.code == "AG"))
        cert = _create(
            db.session,
            key="browser-verify",
            kind="achievement",
            rule=None,
            issuer_unit=unit,
            recipient_name="Nguyễn Thị Hồng Nhung",
            birth_year=2005,
            issuer=issuer(),
            now=now,
            achievement={
                "contest": "Cuộc thi tìm hiểu Luật An ninh mạng",
                "round": "Tuần thi thứ 1",
                "correct": 9,
                "questions": 10,
                "date": now.date().isoformat(),
            },
        )
        db.session.commit()
        pdf = tmp_path / "c.pdf"
        pdf.write_bytes(
            render_certificate(cert, base_url=live_server, uploads=live_app.config["UPLOADS_DIR"])
        )
        cert_id = cert.id
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "p")], check=True
    )
    url = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "p.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert url.startswith(live_server + "/v/")
    page.goto(url)
    expect(page.locator(".verdict .state")).to_have_text("Hợp lệ")
    expect(page.locator("main")).to_contain_text("Nguyễn Thị Hồng Nhung")
    assert check_a11y(page) == []
    with live_app.app_context():
        revoke(db.session, cert_id, "Sai thông tin", actor=SYSTEM, now=now)
        db.session.commit()
    page.reload()
    expect(page.locator(".verdict .state")).to_have_text("Đã thu hồi")
    expect(page.locator(".verdict")).to_contain_text("Sai thông tin")
    assert check_a11y(page) == []
