"""Registration, consent, guardian consent, login sessions and reset codes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from quizapp.audit.models import AuditEntry
from quizapp.auth import services, sessions
from quizapp.auth.models import Consent, LoginSession, User
from quizapp.errors import Conflict, Invalid, NotFound
from quizapp.policy import Actor
from tests.factories import make_member, make_unit, make_user


def reg(unit, **kw):
    data = dict(
        full_name="Nguyễn Thị Hoa",
        birth_date=date(2000, 5, 1),
        phone="0987654321",
        password="mật khẩu tốt",
        unit_id=unit.id,
        categories=("youth",),
        consent=True,
    )
    data.update(kw)
    return services.Registration(**data)


def test_register_records_consent_and_hashes_cccd(session, now):
    unit = make_unit(session)
    user = services.register_member(
        session, reg(unit, cccd="001200012345"), consent_version="2026-01", pii_key="k", now=now
    )
    assert user.member.unit_id == unit.id and user.password_hash != "mật khẩu tốt"
    consents = session.scalars(select(Consent).where(Consent.member_id == user.member_id)).all()
    assert [(c.kind, c.text_version, c.given_at) for c in consents] == [("self", "2026-01", now)]
    assert user.member.cccd_hash and "001200012345" not in user.member.cccd_hash
    assert services.authenticate(session, "0987 654 321", "mật khẩu tốt").id == user.id
    assert services.authenticate(session, "0987654321", "sai") is None


def test_register_requires_consent_and_guardian_for_under_16(session, now):
    unit = make_unit(session)
    with pytest.raises(Invalid) as exc:
        services.register_member(
            session,
            reg(unit, consent=False, birth_date=date(now.year - 14, 1, 1)),
            consent_version="v",
            pii_key="k",
            now=now,
        )
    assert {"consent", "guardian_name"} <= set(exc.value.field_errors)
    user = services.register_member(
        session,
        reg(
            unit,
            birth_date=date(now.year - 14, 1, 1),
            guardian_name="Nguyễn Văn Ba",
            guardian_consent=True,
        ),
        consent_version="v",
        pii_key="k",
        now=now,
    )
    assert user.member.guardian_consent_at == now
    assert not services.needs_guardian_consent(user.member, now)
    kinds = {
        c.kind for c in session.scalars(select(Consent).where(Consent.member_id == user.member_id))
    }
    assert kinds == {"self", "guardian"}


def test_under_16_on_roster_needs_guardian_until_recorded(session, now):
    unit = make_unit(session)
    child = make_member(session, unit, birth_date=date(now.year - 13, 6, 1), categories=("child",))
    assert services.needs_guardian_consent(child, now)
    services.record_guardian_consent(
        session,
        child.id,
        "Trần Thị Mẹ",
        actor=Actor(user_id=None, is_admin=True),
        consent_version="v",
        now=now,
    )
    assert not services.needs_guardian_consent(child, now)


def test_register_with_a_roster_phone_waits_for_the_organiser(session, now):
    """Registering with a phone already on a roster never overwrites that member: the new
    account is linked only when an organiser of the member's unit confirms (audited), and the
    registrant's consent is recorded then; a refusal leaves the roster untouched too."""
    unit = make_unit(session)
    existing = make_member(session, unit, "Nguyễn Thị Hoa", phone="0987654321", code="DV9")
    existing.birth_date = date(1990, 1, 1)
    user = services.register_member(
        session, reg(unit, full_name="Kẻ Mạo Danh"), consent_version="v", pii_key="k", now=now
    )
    assert user.member_id is None
    assert (existing.full_name, existing.birth_date) == ("Nguyễn Thị Hoa", date(1990, 1, 1))
    claim = services.pending_claim(session, user.id)
    assert claim.member_id == existing.id and claim.full_name == "Kẻ Mạo Danh"
    with pytest.raises(Invalid) as exc:  # the phone has an account now
        services.register_member(session, reg(unit), consent_version="v", pii_key="k", now=now)
    assert "phone" in exc.value.field_errors
    outsider = Actor(user_id=None, managed_paths=("/999/",))
    with pytest.raises(NotFound):
        services.decide_claim(session, claim.id, accept=True, actor=outsider, now=now)
    organiser = Actor(user_id=None, managed_paths=(unit.path,))
    services.decide_claim(session, claim.id, accept=True, actor=organiser, now=now)
    assert user.member_id == existing.id and existing.full_name == "Nguyễn Thị Hoa"
    assert services.pending_claim(session, user.id) is None
    kinds = {
        c.kind for c in session.scalars(select(Consent).where(Consent.member_id == existing.id))
    }
    assert kinds == {"self"}
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["member.claim", "member.claim_confirm"]


def test_refused_claim_leaves_the_account_unlinked(session, now):
    unit = make_unit(session)
    existing = make_member(session, unit, "Nguyễn Thị Hoa", phone="0987654321")
    user = services.register_member(session, reg(unit), consent_version="v", pii_key="k", now=now)
    claim = services.pending_claim(session, user.id)
    organiser = Actor(user_id=None, managed_paths=(unit.path,))
    services.decide_claim(session, claim.id, accept=False, actor=organiser, now=now)
    assert user.member_id is None and services.pending_claim(session, user.id) is None
    assert existing.full_name == "Nguyễn Thị Hoa"


def test_login_sessions_are_new_each_time_and_closable(session, now):
    user = make_user(session, role="admin")
    s1 = services.open_session(session, user, user_agent="a", now=now)
    s2 = services.open_session(session, user, user_agent="a", now=now)
    assert s1.id != s2.id and len(s1.id) >= 40
    services.close_session(session, s1.id)
    assert sessions.load_session(session, s1.id) is None
    assert sessions.load_session(session, s2.id).id == user.id


def test_reset_code_is_one_time_and_ends_sessions(session, now):
    unit = make_unit(session)
    member_user = make_user(session, role="member", unit=unit)
    login = services.open_session(session, member_user, user_agent="", now=now)
    org = Actor(user_id=None, managed_paths=(unit.path,))
    code = services.issue_reset_code(session, member_user.member_id, actor=org, now=now)
    assert len(code) == 8 and code.isdigit()
    with pytest.raises(Invalid):
        services.reset_password(session, member_user.phone, "00000000", "mới mới mới", now=now)
    services.reset_password(session, member_user.phone, code, "mới mới mới", now=now)
    assert services.authenticate(session, member_user.phone, "mới mới mới")
    assert session.get(LoginSession, login.id) is None
    with pytest.raises(Invalid):  # used once
        services.reset_password(session, member_user.phone, code, "lại lần nữa", now=now)
    code2 = services.issue_reset_code(session, member_user.member_id, actor=org, now=now)
    with pytest.raises(Invalid):  # expired
        services.reset_password(
            session, member_user.phone, code2, "hết hạn rồi", now=now + timedelta(hours=25)
        )


def test_reset_code_needs_an_account(session, now):
    unit = make_unit(session)
    m = make_member(session, unit)
    with pytest.raises(Conflict):
        services.issue_reset_code(session, m.id, actor=Actor(user_id=None, is_admin=True), now=now)


def test_deactivated_member_cannot_log_in(session):
    unit = make_unit(session)
    u = make_user(session, role="member", unit=unit)
    u.member.active = False
    session.flush()
    assert services.authenticate(session, u.email, "correct horse") is None
    assert session.scalar(select(User).where(User.id == u.id))


def _read(session):
    from quizapp.prepared import session_reader

    return session_reader(session)
