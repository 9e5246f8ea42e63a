"""Benchmark: browsing and searching a bank of 5,000 questions (issue 3: "stays fast").

Builds a bank of 5,000 generated questions in a temporary SQLite database, then times the
organiser's bank page (first page, a diacritic-free search, a category + difficulty filter)
through the Flask test client. Writes bench/results/bank_search.json.
Run: `make bench-bank`.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(n: int = 5000) -> dict:
    from sqlalchemy import select

    from quizapp import create_app
    from quizapp.auth.models import User
    from quizapp.auth.services import hash_password
    from quizapp.banks.core import Category, Choice, Difficulty, ParsedBank, QType, Question
    from quizapp.banks.models import BankCategory
    from quizapp.banks.services import create_bank, import_bank
    from quizapp.db import Base
    from quizapp.extensions import db
    from quizapp.orgs.services import create_unit
    from quizapp.policy import SYSTEM
    from tests.factories import ensure_types

    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "SECRET_KEY": "bench-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "DATABASE_URL": f"sqlite:///{tmp}/b.db",
        }
    )
    now = datetime.now(UTC)
    words = [
        "an ninh mạng",
        "dữ liệu cá nhân",
        "thanh niên",
        "Đoàn viên",
        "không gian mạng",
        "lừa đảo",
        "mật khẩu",
        "trẻ em",
        "Hiến pháp",
        "Điều lệ",
    ]
    with app.app_context():
        Base.metadata.create_all(db.engine)
        ensure_types(db.session)
        unit = create_unit(
            db.session,
            actor=SYSTEM,
            code="B",
            name="Đơn vị",
            type_key="province",
            parent_id=None,
            now=now,
        )
        cats = tuple(Category(f"c{i}", f"Chủ đề {i}") for i in range(20))
        qs = tuple(
            Question(
                QType.SINGLE,
                f"Câu {i}: {words[i % 10]} và {words[(i * 7) % 10]} "
                f"— phương án nào đúng theo quy định số {i}?",
                key=f"q{i:05d}",
                choices=(
                    Choice(f"Đáp án {i}", 100),
                    Choice("Sai 1", 0),
                    Choice("Sai 2", 0),
                    Choice("Sai 3", 0),
                ),
                difficulty=list(Difficulty)[i % 3],
                category=f"c{i % 20}",
                tags=(words[i % 10],),
            )
            for i in range(n)
        )
        bank = create_bank(
            db.session, actor=SYSTEM, key="big", title="Lớn", owner_unit_id=unit.id, now=now
        )
        t0 = time.perf_counter()
        import_bank(
            db.session, ParsedBank(questions=qs, categories=cats), bank=bank, actor=SYSTEM, now=now
        )
        import_s = time.perf_counter() - t0
        db.session.add(
            User(
                display_name="Admin",
                email="a@b.vn",
                is_admin=True,
                password_hash=hash_password("bench-password"),
            )
        )
        db.session.commit()
        bank_id = bank.id
        cat_id = db.session.scalar(select(BankCategory.id).order_by(BankCategory.id))
    client = app.test_client()
    client.post("/login", data={"identifier": "a@b.vn", "password": "bench-password"})
    cases = {
        "first page": f"/org/banks/{bank_id}",
        "search without diacritics": f"/org/banks/{bank_id}?q=du+lieu+ca+nhan",
        "category + difficulty": f"/org/banks/{bank_id}?category={cat_id}&difficulty=hard",
        "page 50": f"/org/banks/{bank_id}?page=50",
    }
    out = {"questions": n, "import_s": round(import_s, 2), "pages_ms_median": {}}
    for label, url in cases.items():
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            resp = client.get(url)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200, (url, resp.status_code)
        out["pages_ms_median"][label] = round(statistics.median(times) * 1000, 1)
    out["measured_at"] = now.isoformat()
    path = ROOT / "bench" / "results" / "bank_search.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False))
