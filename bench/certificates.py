"""Benchmark: certificate rendering in a warm process, cached re-download, memory growth.

Run `make bench-certificates` (or `.venv/bin/python bench/certificates.py --renders 1000`).
Uses a temporary SQLite database and key folder; writes bench/results/certificates.json.
Targets (issue 5): render median < 200 ms, cached re-download < 10 ms, < 50 MB RSS growth
over 1,000 renders.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(renders: int) -> dict:
    from quizapp import create_app
    from quizapp.certificates.models import Certificate
    from quizapp.certificates.render import cached_certificate, render_certificate
    from quizapp.certificates.services import Issuer, _create
    from quizapp.certificates.signing import KeyStore
    from quizapp.db import Base
    from quizapp.extensions import db
    from quizapp.orgs.services import create_unit
    from quizapp.policy import SYSTEM
    from tests.factories import ensure_types

    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{tmp}/b.db",
            "SIGNING_KEY_DIR": str(tmp / "keys"),
            "UPLOADS_DIR": str(tmp / "up"),
            "CERT_CACHE_DIR": str(tmp / "cache"),
        }
    )
    now = datetime.now(UTC)
    with app.app_context(), app.test_request_context():
        Base.metadata.create_all(db.engine)
        ensure_types(db.session)
        unit = create_unit(
            db.session,
            actor=SYSTEM,
            code="AG",
            name="Tỉnh Đoàn An Giang",
            type_key="province",
            parent_id=None,
            now=now,
        )
        issuer = Issuer(KeyStore(tmp / "keys", now=lambda: now), "https://quizapp.example.vn")
        cert = _create(
            db.session,
            key="bench",
            kind="achievement",
            rule=None,
            issuer_unit=unit,
            recipient_name="Nguyễn Thị Hồng Nhung",
            birth_year=2005,
            issuer=issuer,
            now=now,
            achievement={
                "contest": "Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng",
                "round": "Tuần thi thứ 1",
                "correct": 28,
                "questions": 30,
                "date": now.date().isoformat(),
                "title": "GIẤY CHỨNG NHẬN",
            },
        )
        db.session.commit()
        cert = db.session.get(Certificate, cert.id)
        opts = {"base_url": issuer.base_url, "uploads": str(tmp / "up")}
        render_certificate(cert, **opts)  # warm-up: fonts, templates
        start_rss = rss_mb()
        times = []
        for _ in range(renders):
            t0 = time.perf_counter()
            render_certificate(cert, **opts)
            times.append(time.perf_counter() - t0)
        end_rss = rss_mb()
        cached_certificate(cert, cache=str(tmp / "cache"), **opts)
        cached = []
        for _ in range(200):
            t0 = time.perf_counter()
            cached_certificate(cert, cache=str(tmp / "cache"), **opts).read_bytes()
            cached.append(time.perf_counter() - t0)
    result = {
        "renders": renders,
        "render_ms_median": round(statistics.median(times) * 1000, 1),
        "render_ms_p95": round(sorted(times)[int(len(times) * 0.95) - 1] * 1000, 1),
        "cached_ms_median": round(statistics.median(cached) * 1000, 3),
        "rss_growth_mb": round(end_rss - start_rss, 1),
        "targets": {"render_ms_median": 200, "cached_ms_median": 10, "rss_growth_mb": 50},
        "measured_at": now.isoformat(),
    }
    out = ROOT / "bench" / "results" / "certificates.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=1000)
    print(json.dumps(main(parser.parse_args().renders), indent=2))
