"""Demo data: one province union shaped as in 2026 (no districts), ~300 members."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp.auth.models import OrganiserRole, User
from quizapp.auth.services import create_account, hash_password
from quizapp.orgs.members import MemberData, create_member
from quizapp.orgs.models import Member, Unit, UnitType
from quizapp.orgs.services import create_unit
from quizapp.policy import SYSTEM
from quizapp.timeutil import local_today

DEMO_PASSWORD = "quizapp2026"  # noqa: S105 - published demo credential

UNIT_TYPES = [
    ("province", "Tỉnh Đoàn", 1),
    ("commune", "Đoàn xã, phường, đặc khu", 2),
    ("grassroots", "Đoàn cơ sở", 3),
    ("branch", "Chi đoàn", 4),
    ("department", "Sở Giáo dục và Đào tạo", 5),
    ("school", "Trường học", 6),
    ("class", "Lớp", 7),
]

# code, name, type, parent code, kind of people
UNITS = [
    ("AG", "Tỉnh Đoàn An Giang", "province", None, None),
    ("AG-LX", "Đoàn phường Long Xuyên", "commune", "AG", None),
    ("AG-LX-ML", "Chi đoàn khu phố Mỹ Long", "branch", "AG-LX", "ward"),
    ("AG-LX-MB", "Chi đoàn khu phố Mỹ Bình", "branch", "AG-LX", "ward"),
    ("AG-RG", "Đoàn phường Rạch Giá", "commune", "AG", None),
    ("AG-RG-VT", "Chi đoàn khu phố Vĩnh Thanh", "branch", "AG-RG", "ward"),
    ("AG-PQ", "Đoàn đặc khu Phú Quốc", "commune", "AG", None),
    ("AG-PQ-DD", "Chi đoàn ấp Dương Đông", "branch", "AG-PQ", "ward"),
    ("AG-MHH", "Đoàn xã Mỹ Hòa Hưng", "commune", "AG", None),
    ("AG-MHH-1", "Chi đoàn ấp Mỹ Hòa", "branch", "AG-MHH", "ward"),
    ("AG-TNH", "Đoàn trường THPT chuyên Thoại Ngọc Hầu", "grassroots", "AG", None),
    ("AG-TNH-12A1", "Chi đoàn lớp 12A1", "branch", "AG-TNH", "pupil"),
    ("AG-TNH-10A2", "Chi đoàn lớp 10A2", "branch", "AG-TNH", "pupil"),
    ("AG-SGD", "Đoàn cơ sở Sở Giáo dục và Đào tạo", "grassroots", "AG", None),
    ("AG-SGD-VP", "Chi đoàn Văn phòng Sở", "branch", "AG-SGD", "staff"),
]

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Hoàng",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
    "Hồ",
    "Dương",
    "Lý",
    "Châu",
    "Thạch",
]
MIDDLE = [
    "Văn",
    "Thị",
    "Minh",
    "Ngọc",
    "Thanh",
    "Hoàng",
    "Gia",
    "Bảo",
    "Quốc",
    "Thu",
    "Kim",
    "Hữu",
    "Mỹ",
    "Đức",
]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hòa",
    "Hùng",
    "Khang",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Ngân",
    "Nhi",
    "Phúc",
    "Phương",
    "Quân",
    "Quỳnh",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Trí",
    "Tuấn",
    "Uyên",
    "Vy",
    "Yến",
    "Đạt",
    "Ánh",
    "Ý",
]

# login, name, unit code (None: admin)
ACCOUNTS = [
    ("admin@quizapp.local", "Quản trị viên hệ thống", None),
    ("tinhdoan@quizapp.local", "Nguyễn Thị Thanh Hương", "AG"),
    ("longxuyen@quizapp.local", "Trần Minh Khoa", "AG-LX"),
    ("thoaingochau@quizapp.local", "Lê Thị Ngọc Hân", "AG-TNH"),
    ("mylong@quizapp.local", "Phạm Quốc Bảo", "AG-LX-ML"),
]
MEMBER_LOGIN = "0912000001"


def demo_logins() -> list[str]:
    lines = []
    for login, name, unit in ACCOUNTS:
        role = "quản trị viên" if unit is None else f"người tổ chức {unit}"
        lines.append(f"{login:32} {role} ({name})")
    lines.append(f"{MEMBER_LOGIN:32} đoàn viên (Chi đoàn khu phố Mỹ Long)")
    return lines


def _admitted(rng: random.Random, today: date, years: list[int]) -> date:
    """A 26 March of one of `years`, or (one time in four) a day of the last two months:
    the new members of the current union year, whom the political-theory programme is for."""
    if rng.random() < 0.25:
        return today - timedelta(days=rng.randint(1, 60))
    return date(rng.choice(years), 3, 26)


def _people(
    kind: str, rng: random.Random, today: date
) -> tuple[date, tuple[str, ...], date | None]:
    year = today.year
    if kind == "pupil":
        birth = date(rng.choice([2008, 2009, 2010, 2011]), rng.randint(1, 12), rng.randint(1, 28))
        cats = ["pupil"]
        admitted = None
        if birth.year <= 2010 and rng.random() < 0.7:
            cats.append("member")
            admitted = _admitted(rng, today, [2025, 2026])
        return birth, tuple(cats), admitted
    if kind == "staff":
        birth = date(rng.randint(1978, 2000), rng.randint(1, 12), rng.randint(1, 28))
        cats = ["teacher"] + (["cadre"] if rng.random() < 0.3 else [])
        return birth, tuple(cats), None
    roll = rng.random()
    if roll < 0.12:
        birth = date(rng.randint(2012, 2017), rng.randint(1, 12), rng.randint(1, 28))
        return birth, ("child",), None
    birth = date(rng.randint(1992, 2009), rng.randint(1, 12), rng.randint(1, 28))
    cats = ["youth"]
    admitted = None
    if roll < 0.75 and year - birth.year <= 30:
        cats.append("member")
        admitted = _admitted(rng, today, [2019, 2021, 2023, 2025, 2026])
    if roll < 0.22:
        cats.append("cadre")
    if rng.random() < 0.25:
        cats.append("association")
    return birth, tuple(cats), admitted


def load_demo(
    session: Session, *, pii_key: str, now: datetime, if_empty: bool = False, members: int = 300
) -> list[str]:
    """Create the demo tree, members and accounts; returns the login lines (empty if skipped)."""
    if if_empty and session.scalar(select(func.count()).select_from(Unit)):
        return []
    for key, name, order in UNIT_TYPES:
        if session.get(UnitType, key) is None:
            session.add(UnitType(key=key, name=name, sort_order=order))
    session.flush()
    units: dict[str, Unit] = {}
    for code, name, type_key, parent, _kind in UNITS:
        units[code] = create_unit(
            session,
            actor=SYSTEM,
            code=code,
            name=name,
            type_key=type_key,
            parent_id=units[parent].id if parent else None,
            now=now,
        )
    rng = random.Random(2026)
    leaves = [(units[c], k) for c, _n, _t, _p, k in UNITS if k]
    for i in range(members):
        unit, kind = leaves[i % len(leaves)]
        birth, cats, admitted = _people(kind, rng, local_today(now))
        if i == 0:  # the demo member (MEMBER_LOGIN) was admitted this union year
            cats, admitted = tuple(sorted({*cats, "member"})), local_today(now) - timedelta(days=20)
            birth = date(local_today(now).year - 19, birth.month, birth.day)
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        create_member(
            session,
            MemberData(
                full_name=name,
                unit_id=unit.id,
                categories=cats,
                code=f"DV{i + 1:05d}",
                birth_date=birth,
                phone=f"0912{i + 1:06d}",
                admitted_on=admitted,
            ),
            actor=SYSTEM,
            pii_key=pii_key,
            now=now,
            audit=False,
        )
    for login, name, unit_code in ACCOUNTS:
        user = create_account(
            session,
            display_name=name,
            email=login,
            phone=None,
            password=DEMO_PASSWORD,
            is_admin=unit_code is None,
            now=now,
        )
        if unit_code:
            session.add(OrganiserRole(user_id=user.id, unit_id=units[unit_code].id, granted_at=now))
    # One member with an account, on the roster of Chi đoàn khu phố Mỹ Long.
    member = session.scalar(select(Member).where(Member.phone == MEMBER_LOGIN))
    session.add(
        User(
            display_name=member.full_name,
            phone=member.phone,
            password_hash=hash_password(DEMO_PASSWORD),
            member_id=member.id,
            created_at=now,
        )
    )
    session.flush()
    return demo_logins()


def load_demo_contest(session: Session, *, now: datetime) -> str | None:
    """A published two-round contest on the shipped Cybersecurity Law bank, with
    certificates (skipped when a contest exists or the bank is not loaded)."""
    from datetime import timedelta

    from quizapp.banks.models import Bank
    from quizapp.certificates.services import RuleData, save_rule
    from quizapp.contests.models import Contest
    from quizapp.contests.services import (
        ContestData,
        RoundData,
        create_contest,
        save_round,
        set_status,
    )

    if session.scalar(select(func.count()).select_from(Contest)):
        return None
    bank = session.scalar(select(Bank).where(Bank.key == "luat-an-ninh-mang-2025"))
    province = session.scalar(select(Unit).where(Unit.code == "AG"))
    if bank is None or province is None:
        return None
    contest = create_contest(
        session,
        ContestData(
            title="Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng năm 2025",
            owner_unit_id=province.id,
            description="Dành cho cán bộ, đoàn viên, thanh niên và học sinh trong tỉnh.",
            rules="Mỗi tuần thi gồm **10 câu hỏi** trắc nghiệm, làm trong **15 phút**. "
            "Mỗi người được thi **2 lượt**, tính lượt có kết quả cao nhất. "
            "Trường hợp bằng điểm, xét câu hỏi dự đoán rồi đến thời gian làm bài.",
        ),
        actor=SYSTEM,
        now=now,
    )
    start = now.replace(minute=0, second=0, microsecond=0)
    for n, (opens, blueprint) in enumerate(
        (
            (
                start - timedelta(days=1),
                (
                    {"count": 6, "category": "chuong-1", "difficulty": None},
                    {"count": 4, "category": "diem-moi", "difficulty": None},
                ),
            ),
            (
                start + timedelta(days=6),
                (
                    {"count": 5, "category": "chuong-3", "difficulty": None},
                    {"count": 5, "category": "chuong-7", "difficulty": None},
                ),
            ),
        ),
        start=1,
    ):
        save_round(
            session,
            contest.id,
            RoundData(
                title=f"Tuần thi thứ {n}",
                opens_at=opens,
                closes_at=opens + timedelta(days=7),
                time_limit_s=15 * 60,
                bank_id=bank.id,
                blueprint=blueprint,
                attempts_allowed=2,
                review="after_close",
                # the demo draws from the whole shipped bank, confirmed or not
                include_unverified=True,
            ),
            actor=SYSTEM,
            now=now,
        )
    save_rule(
        session,
        contest.id,
        RuleData(
            kind="achievement",
            threshold=80,
            signatory_title="TM. BAN THƯỜNG VỤ TỈNH ĐOÀN",
            signatory_name="Nguyễn Thị Thanh Hương",
            place="An Giang",
        ),
        actor=SYSTEM,
        now=now,
    )
    set_status(session, contest.id, "published", actor=SYSTEM, now=now)
    return contest.slug
