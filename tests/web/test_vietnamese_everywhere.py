"""Vietnamese everywhere: WTForms' own validation messages and every error page in the
interface's language (a crawl of the error responses in both languages), registration that
reports every field and ends logged in where the visitor came from."""

import re

import pytest
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.web import ERROR_MESSAGES, GENERAL_ERROR
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, registration_form

ENGLISH_ERRORS = [
    *ERROR_MESSAGES.values(),
    GENERAL_ERROR,
    "The form expired or was sent from elsewhere. Reload the page and try again.",
    "Too many attempts",
    "This field is required.",
]
VIETNAMESE = re.compile(r"[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]")


def _main(html: str) -> str:
    """The visible text of the page's main part (tags dropped, spaces collapsed)."""
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.fixture()
def error_app(app_with):
    def build():
        return app_with(
            WTF_CSRF_ENABLED=True,
            PROPAGATE_EXCEPTIONS=False,
            MAX_CONTENT_LENGTH=10_000,
            RATELIMIT_ENABLED=True,
            LOGIN_RATE_LIMIT="2 per minute",
        )

    return build


def _error_pages(app, lang):
    client = app.test_client()
    client.set_cookie("lang", lang)

    @app.get("/test-boom")
    def _boom():
        raise RuntimeError("a bug")

    pages = {
        "400": client.get("/?q=%00"),
        "404": client.get("/no-such-page"),
        "405": client.get("/logout"),
        "413": client.post("/login", data={"identifier": "x" * 20_000, "password": "x"}),
        "csrf": client.post("/login", data={"identifier": "a@b.vn", "password": "x"}),
        "500": client.get("/test-boom"),
    }
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    for _ in range(3):  # the limit is 2 a minute
        data = {"identifier": "a@b.vn", "password": "x", "csrf_token": token}
        last = client.post("/login", data=data)
    pages["429"] = last
    pages["404-json"] = client.get("/no-such-page", headers={"Accept": "application/json"})
    return pages


EXPECTED = {
    "400": 400,
    "404": 404,
    "405": 405,
    "413": 413,
    "csrf": 400,
    "500": 500,
    "429": 429,
    "404-json": 404,
}


def test_every_error_response_is_in_the_interface_language(error_app):
    vi = _error_pages(error_app(), "vi")
    en = _error_pages(error_app(), "en")
    assert {k: r.status_code for k, r in vi.items()} == EXPECTED
    assert {k: r.status_code for k, r in en.items()} == EXPECTED
    for name, resp in vi.items():
        if name.endswith("json"):
            message = resp.get_json()["error"]
            assert VIETNAMESE.search(message), (name, message)
            assert en[name].get_json()["error"] == ERROR_MESSAGES[404]
            continue
        text = _main(resp.get_data(as_text=True))
        english = _main(en[name].get_data(as_text=True))
        assert VIETNAMESE.search(text), (name, text)
        for phrase in ENGLISH_ERRORS:
            assert phrase not in text, (name, phrase)
        # nothing of the English page's text is left on the Vietnamese one
        for sentence in re.split(r"(?<=[.!?])\s+", english):
            if re.search(r"[A-Za-z]{3}", sentence):
                assert sentence not in text, (name, sentence)
    assert "Trang này không tồn tại." in _main(vi["404"].get_data(as_text=True))
    assert "This page does not exist." in _main(en["404"].get_data(as_text=True))


def test_the_429_page_says_when_to_try_again(error_app):
    for lang, words in (("vi", "Hãy thử lại sau 60 giây"), ("en", "Try again in 60 seconds")):
        pages = _error_pages(error_app(), lang)
        resp = pages["429"]
        assert 0 < int(resp.headers["Retry-After"]) <= 60  # the limiter's exact reset
        assert words in resp.get_data(as_text=True)


def test_a_limit_of_an_hour_is_said_in_minutes(app_with):
    app = app_with(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="1 per hour")
    client = app.test_client()
    for _ in range(2):
        resp = client.post("/login", data={"identifier": "a@b.vn", "password": "x"})
    assert resp.status_code == 429 and 3500 < int(resp.headers["Retry-After"]) <= 3600
    assert "Hãy thử lại sau 60 phút" in resp.get_data(as_text=True)


def test_wtforms_messages_are_translated(client):
    page = client.post("/login", data={}).get_data(as_text=True)
    assert "Mục này là bắt buộc." in page and "This field is required." not in page
    page = client.post("/login", data={"identifier": "x" * 201, "password": "x"})
    assert "Không được dài quá 200 ký tự." in page.get_data(as_text=True)
    client.set_cookie("lang", "en")
    page = client.post("/login", data={}).get_data(as_text=True)
    assert "This field is required." in page


def test_every_form_of_the_app_translates_wtforms_messages():
    """Each form class derives from AppForm (a FlaskForm made directly would speak English)."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import quizapp
    from quizapp.forms import AppForm

    for info in pkgutil.walk_packages(quizapp.__path__, "quizapp."):
        if info.name.endswith(".forms"):
            importlib.import_module(info.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("quizapp.")]
    assert len(ours) > 20
    assert [c.__name__ for c in ours if not issubclass(c, AppForm)] == []


@pytest.fixture()
def places(session):
    province = make_unit(session, "Tỉnh Đoàn Thử", code="TT")
    branch = make_unit(session, "Chi đoàn Thử", parent=province, code="TT-1")
    session.commit()
    return province, branch


def _errors(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for field, message in re.findall(r'<p class="error" id="(\w+)-err">([^<]*)</p>', html):
        found.setdefault(field, []).append(message)
    return found


def test_registration_reports_every_field_at_once(client, session, places):
    _province, branch = places
    bad = registration_form(
        branch,
        full_name=" ",
        birth_date="31/02/2004",
        phone="12",
        email="mai@",
        password="ngắn",
        cccd="123",
        consent="",
    )
    html = client.post("/register", data=bad).get_data(as_text=True)
    errors = _errors(html)
    assert errors == {
        "full_name": ["Mục này là bắt buộc."],
        "birth_date": ["Ngày không hợp lệ: nhập ngày/tháng/năm."],
        "phone": ["Nhập số điện thoại 10 chữ số, bắt đầu bằng số 0."],
        "email": ["Hãy nhập địa chỉ e-mail hợp lệ, hoặc để trống mục này."],
        "password": ["Dùng ít nhất 8 ký tự."],
        "cccd": ["Số CCCD gồm 12 chữ số."],
        "consent": ["Bạn phải đồng ý cho phép xử lý dữ liệu cá nhân."],
    }
    assert session.scalar(select(User).where(User.phone == "0911222333")) is None


def test_an_invalid_email_is_reported_not_dropped(client, session, places):
    _province, branch = places
    html = client.post("/register", data=registration_form(branch, email="mai.example.vn"))
    assert _errors(html.get_data(as_text=True)) == {
        "email": ["Hãy nhập địa chỉ e-mail hợp lệ, hoặc để trống mục này."]
    }
    assert session.scalar(select(User).where(User.phone == "0911222333")) is None


def test_a_typed_day_month_year_birth_date_is_read(client, session, places):
    _province, branch = places
    resp = client.post("/register", data=registration_form(branch, birth_date="02/03/2004"))
    assert resp.status_code == 302
    user = session.scalar(select(User).where(User.phone == "0911222333"))
    assert user.member.birth_date.isoformat() == "2004-03-02"


def test_registering_from_a_contest_logs_in_and_returns_to_it(client, session, places, now):
    province, branch = places
    contest = make_contest(session, province, make_bank(session, province, now), now)
    session.commit()
    landing = client.get(f"/c/{contest.slug}").get_data(as_text=True)
    link = re.search(r'href="(/register\?next=[^"]+)"', landing).group(1)
    assert link == f"/register?next=/c/{contest.slug}"
    form = client.get(link).get_data(as_text=True)
    assert f'href="/login?next=/c/{contest.slug}"' in form  # "already have an account"
    resp = client.post(link, data=registration_form(branch, email="mai@example.vn"))
    assert resp.status_code == 302 and resp.headers["Location"] == f"/c/{contest.slug}"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Chào mừng bạn! Tài khoản đã sẵn sàng và bạn đã đăng nhập." in page
    assert "Bắt đầu" in page  # logged in: the round can be started from here
    user = session.scalar(select(User).where(User.phone == "0911222333"))
    assert user.email == "mai@example.vn"


def test_registration_never_sends_the_visitor_off_site(client, places):
    _province, branch = places
    resp = client.post("/register?next=//evil.example/x", data=registration_form(branch))
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_the_login_page_carries_next_toregistration_form(client):
    page = client.get("/login?next=/c/abc").get_data(as_text=True)
    assert 'href="/register?next=/c/abc"' in page
