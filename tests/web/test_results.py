"""Results: ranking of the counted attempts, prize list with reasons, publication after the
round closes, XLSX/CSV exports with the Vietnamese text intact, the public ranking."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quizapp.auth.services import actor_for
from quizapp.contests import attempts as A
from quizapp.contests import results as R
from quizapp.contests import starting as S
from quizapp.contests import units as U
from quizapp.contests.item_analysis import item_analysis
from quizapp.contests.models import PrizeList
from quizapp.i18n import from_data
from quizapp.i18n import in_vietnamese as vi
from quizapp.policy import SYSTEM
from quizapp.privacy import public_prizes, public_ranking
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user

NAMES = ["Nguyễn Thị Hồng Nhung", "Đặng Hữu Phước", "Trần Văn Long"]


@pytest.fixture()
def played(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=province, code="AG-ML")
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=3, attempts_allowed=2)
    rnd = contest.rounds[0]
    users = []
    # right answers: 3, 3, 1; predictions 5, 1, none; the first two differ by prediction
    for name, right, pred, secs in zip(NAMES, (3, 3, 1), (5, 1, None), (100, 90, 50), strict=True):
        user = make_user(session, role="member", unit=branch, name=name)
        user.member.full_name = name
        attempt = S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=now)
        for aq in attempt.questions[:right]:
            A.save_answer(
                session,
                attempt.id,
                aq.position,
                {"choices": [aq.option_order.index(0)]},
                user=user,
                now=now,
            )
        A.submit_attempt(
            session, attempt.id, user=user, now=now + timedelta(seconds=secs), prediction=pred
        )
        users.append(user)
    # a second, worse attempt of the first participant: the best one counts
    second = S.start_attempt(
        session, rnd.id, user=users[0], actor=actor_for(users[0]), now=now + timedelta(minutes=5)
    )
    A.submit_attempt(session, second.id, user=users[0], now=now + timedelta(minutes=6))
    session.commit()
    return dict(province=province, contest=contest, rnd=rnd, users=users)


def test_ranking_uses_counted_attempt_and_prediction_after_close(session, played, now):
    rnd = played["rnd"]
    ranking, actual = R.round_ranking(session, rnd, now)
    assert actual is None  # open round: the prediction is not known yet
    assert [r.entry.name for r in ranking][:2] == ["Đặng Hữu Phước", "Nguyễn Thị Hồng Nhung"]
    after = rnd.closes_at + timedelta(minutes=1)
    ranking, actual = R.round_ranking(session, rnd, after)
    assert actual == 2  # two participants answered everything right
    assert [r.entry.name for r in ranking] == [
        "Đặng Hữu Phước",
        "Nguyễn Thị Hồng Nhung",
        "Trần Văn Long",
    ]
    assert "dự đoán lệch 1 so với 3" in vi(ranking[1].why)
    assert ranking[0].entry.correct == 3 and ranking[1].entry.correct == 3


def test_prize_list_published_only_after_close_and_frozen(session, played, now):
    rnd = played["rnd"]
    R.set_prize_counts(
        session,
        rnd.id,
        {"first": 1, "second": 1, "third": 0, "consolation": 1},
        actor=SYSTEM,
        now=now,
    )
    with pytest.raises(R.Invalid):
        R.publish_prizes(session, rnd.id, actor=SYSTEM, now=now)
    after = rnd.closes_at + timedelta(minutes=1)
    published = R.publish_prizes(session, rnd.id, actor=SYSTEM, now=after)
    assert [(e["prize_name"], e["name"]) for e in published.entries] == [
        ("Giải Nhất", "Đặng Hữu Phước"),
        ("Giải Nhì", "Nguyễn Thị Hồng Nhung"),
        ("Giải Khuyến khích", "Trần Văn Long"),
    ]
    assert published.actual == 2
    R.set_prize_counts(session, rnd.id, {"first": 3}, actor=SYSTEM, now=after)
    frozen = session.scalar(select(PrizeList).where(PrizeList.round_id == rnd.id))
    assert len(frozen.entries) == 3 and frozen.entries[2]["prize"] == "consolation"


def test_exports_keep_vietnamese_text(client, login_as, session, played):
    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    xlsx = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/results.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Hạng", "Họ và tên", "Ngày sinh")
    assert {r[1] for r in rows[1:]} == set(NAMES)
    raw = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/results.csv").data
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][1] == "Họ và tên" and {r[1] for r in table[1:]} == set(NAMES)
    page = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "Đặng Hữu Phước" in page


def test_public_ranking_masks_names_and_shows_own_rank(client, login_as, session, played):
    c, rnd = played["contest"], played["rnd"]
    page = client.get(f"/c/{c.slug}/rounds/{rnd.id}/ranking").get_data(as_text=True)
    assert "Nguyễn T. H. N." in page and "Nguyễn Thị Hồng Nhung" not in page
    assert "Đặng H. P." in page and "Phước" not in page


def test_full_names_opted_in_never_show_a_minor_in_full(client, login_as, session, played):
    """Issue 20: a contest may opt in to full names on its public ranking, but a minor on
    the contest's ranking date (its last round's closing day) and a member without a date
    of birth stay masked, in the table, the prize list and its explanations; the
    organiser's results page keeps every full name."""
    c, rnd, users = played["contest"], played["rnd"], played["users"]
    c.mask_names = False
    ranking_on = R.ranking_date(session, c.id)
    assert ranking_on == (rnd.closes_at + timedelta(hours=7)).date()
    minor, adult = users[2].member, users[1].member
    minor.birth_date = ranking_on.replace(year=ranking_on.year - 18) + timedelta(days=1)
    users[0].member.birth_date = None
    R.set_prize_counts(
        session, rnd.id, {"first": 1, "second": 1, "consolation": 1}, actor=SYSTEM, now=now_of(rnd)
    )
    published = R.publish_prizes(session, rnd.id, actor=SYSTEM, now=now_of(rnd))
    session.commit()
    page = client.get(f"/c/{c.slug}/rounds/{rnd.id}/ranking").get_data(as_text=True)
    assert adult.full_name == "Đặng Hữu Phước" and page.count("Đặng Hữu Phước") == 2
    assert "Trần Văn Long" not in page and page.count("Trần V. L.") == 2
    assert "Nguyễn Thị Hồng Nhung" not in page and page.count("Nguyễn T. H. N.") == 2
    # The tie-break explanations name the entry before: masked too.
    shown = public_prizes(published.entries, full_names=True, on=ranking_on)
    why = vi(from_data(shown[-1]["reason"]))
    assert "Trần Văn Long" not in why and "Trần V. L." in why
    assert all(e["birth_date"] is None for e in shown)
    assert published.entries[-1]["name"] == "Trần Văn Long"  # the frozen list untouched
    ranking, _actual = R.round_ranking(session, rnd, now_of(rnd))
    public = public_ranking(ranking, full_names=True, on=ranking_on)
    assert "Trần Văn Long" not in vi(public[-1].why) and "Nguyễn Thị Hồng Nhung" not in vi(
        public[-1].why
    )
    # A day later by the ranking date, the same member would be an adult: shown in full.
    later = public_ranking(ranking, full_names=True, on=ranking_on + timedelta(days=1))
    assert later[-1].entry.name == "Trần Văn Long"
    login_as("organiser", played["province"])
    own = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/results").get_data(as_text=True)
    assert all(name in own for name in NAMES)


def now_of(rnd):
    return rnd.closes_at + timedelta(minutes=1)


def test_public_ranking_board_is_cached_per_language_and_refreshed_on_publishing(
    app, client, login_as, session, played, clock
):
    c, rnd = played["contest"], played["rnd"]
    url = f"/c/{c.slug}/rounds/{rnd.id}/ranking"
    page = client.get(url).get_data(as_text=True)
    assert '<th scope="col">Hạng</th>' in page and "Giải Nhất" not in page
    cache = app.extensions["quizapp_cache"]
    stamp = R.cached_ranking(session, rnd, rnd.opens_at, cache=cache).stamp
    assert cache.get(f"ranking-board:{rnd.id}:{stamp}:vi")[1]  # the board, fresh
    client.post("/lang", data={"lang": "en", "next": url})
    english = client.get(url).get_data(as_text=True)
    assert '<th scope="col">Rank</th>' in english and "Hạng</th>" not in english
    client.post("/lang", data={"lang": "vi", "next": url})
    rnd.closes_at = clock.now() - timedelta(minutes=1)
    session.commit()
    login_as("organiser", played["province"])
    results = f"/org/contests/{c.id}/rounds/{rnd.id}/results"
    client.post(results, data={"first": 1, "second": 0, "third": 0, "consolation": 0})
    client.post(results, data={"action": "publish"})
    page = client.get(url).get_data(as_text=True)  # at once, not 30 s later
    assert "Giải Nhất" in page and "Nguyễn T. H. N." in page


def test_unit_participation_against_the_roster(session, played, now):
    from tests.factories import make_member

    branch_id = played["users"][0].member.unit_id
    for _ in range(5):  # members who did not take part
        make_member(session, session.get(type(played["province"]), branch_id))
    session.flush()
    nodes, totals, collective = U.unit_participation(session, played["rnd"])
    branch = totals[branch_id]
    assert (branch.participants, branch.eligible) == (3, 8)
    root = totals[played["province"].id]
    assert (root.participants, root.eligible) == (3, 8) and root.passed == 2
    assert [s.unit.id for s in collective.by_rate] == [branch_id]


def test_item_analysis_page(client, login_as, session, played):
    items, test, questions, keys = item_analysis(session, played["rnd"])
    assert test.attempts == 3 and sum(1 for _ in items) >= 3
    assert all(s.n >= 1 for s in items) and set(keys) == {s.version_id for s in items}
    # Options chosen (from the saved answers' choice_mask): the top third (one attempt, 3
    # right answers) chose each question's keyed option 0; the bottom third (one right
    # answer, the rest left blank) one option in all.
    assert sum(sum(s.top.values()) for s in items) == 3
    assert all(set(s.top) <= {0} for s in items)
    assert sum(sum(s.bottom.values()) for s in items) == 1
    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    page = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "Cronbach" in page and "Chi đoàn Mỹ Long" in page
    assert "3/3" in page  # the branch's participants against its roster


def test_regrade_changes_exactly_the_affected_scores_and_reranks(session, played, now):
    from quizapp.audit.models import AuditEntry
    from quizapp.contests import regrade
    from quizapp.contests.models import Attempt, AttemptQuestion

    rnd = played["rnd"]
    after = rnd.closes_at + timedelta(minutes=1)
    R.publish_prizes(session, rnd.id, actor=SYSTEM, now=after)
    # The question at position 1 of the third participant (who got it wrong: unanswered).
    third = session.scalar(select(Attempt).where(Attempt.user_id == played["users"][2].id))
    target = next(q for q in third.questions if q.response is None)
    holders = set(
        session.scalars(
            select(AttemptQuestion.attempt_id).where(
                AttemptQuestion.version_id == target.version_id,
                AttemptQuestion.attempt_id.in_(
                    select(Attempt.id).where(
                        Attempt.round_id == rnd.id, Attempt.status == "submitted"
                    )
                ),
            )
        )
    )
    before = {a.id: a.score for a in session.scalars(select(Attempt))}
    preview = regrade.preview(session, rnd, target.version_id, "void", [])
    assert {c.attempt_id for c in preview} <= holders and third.id in {
        c.attempt_id for c in preview
    }
    assert {a.id: a.score for a in session.scalars(select(Attempt))} == before  # no write
    changed = regrade.apply(
        session, rnd, target.version_id, "void", [], "Câu hỏi sai đề", actor=SYSTEM, now=after
    )
    session.expire_all()
    now_scores = {a.id: a.score for a in session.scalars(select(Attempt))}
    assert {i for i in now_scores if now_scores[i] != before[i]} == {c.attempt_id for c in changed}
    assert now_scores[third.id] == before[third.id] + 1
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.regrade"))
    assert "Câu hỏi sai đề" in audit.summary
    published = R.published_prizes(session, rnd.id)
    assert published.entries[-1]["correct"] == 1  # unchanged until published again
    republished = R.publish_prizes(session, rnd.id, actor=SYSTEM, now=after)
    assert max(e["correct"] for e in republished.entries) >= 2


def test_item_analysis_reads_the_corrected_key(session, played, now):
    """After a key correction the analysis judges the question by its new key (and a
    voided question by none), so a fixed key stops being flagged."""
    from quizapp.contests import regrade
    from quizapp.contests.models import Attempt

    rnd = played["rnd"]
    after = rnd.closes_at + timedelta(minutes=1)
    first = session.scalar(select(Attempt).where(Attempt.user_id == played["users"][1].id))
    vid = first.questions[0].version_id
    _items, _test, questions, _keys = item_analysis(session, rnd)
    assert [c.weight > 0 for c in questions[vid].choices][:2] == [True, False]
    regrade.apply(session, rnd, vid, "rekey", [1], "Đáp án B", actor=SYSTEM, now=after)
    _items, _test, questions, _keys = item_analysis(session, rnd)
    assert [c.weight > 0 for c in questions[vid].choices][:2] == [False, True]
    # A voided question: everyone has its mark, no key to doubt, nothing flagged.
    other = first.questions[1].version_id
    regrade.apply(session, rnd, other, "void", [], "Câu hỏi sai đề", actor=SYSTEM, now=after)
    items = {s.version_id: s for s in item_analysis(session, rnd)[0]}
    assert items[other].flags == [] and items[other].facility == 100.0


def test_rekey_single_choice_page(client, login_as, session, played):
    from quizapp.contests.models import Attempt

    c, rnd = played["contest"], played["rnd"]
    first = session.scalar(select(Attempt).where(Attempt.user_id == played["users"][1].id))
    vid = first.questions[0].version_id
    login_as("organiser", played["province"])
    results = f"/org/contests/{c.id}/rounds/{rnd.id}/results"
    row = f"<td>{NAMES[1]}</td><td>Chi đoàn Mỹ Long</td><td>%s</td>"
    assert row % "3/3" in client.get(results).get_data(as_text=True)  # and now cached
    url = f"/org/contests/{c.id}/rounds/{rnd.id}/questions/{vid}/key"
    assert client.get(url).status_code == 200
    page = client.post(
        url, data={"mode": "rekey", "correct": ["1"], "reason": "Đáp án B", "action": "preview"}
    ).get_data(as_text=True)
    assert "3 → 2" in page  # the second participant loses one correct answer
    resp = client.post(
        url, data={"mode": "rekey", "correct": ["1"], "reason": "Đáp án B", "action": "apply"}
    )
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(Attempt, first.id).correct_count == 2
    page = client.get(results).get_data(as_text=True)  # at once, not 30 s later
    assert row % "2/3" in page and row % "3/3" not in page


def test_dashboard_counts_svg_and_cache(client, login_as, session, played, now):
    from quizapp.contests import dashboard as D

    D._cache.clear()
    rnd = played["rnd"]
    snap = D.snapshot(session, rnd, now + timedelta(minutes=10))
    assert (snap.participants, snap.in_progress, snap.submitted) == (3, 0, 4)
    assert sum(n for _, n in snap.histogram) == 4 and sum(n for _, n in snap.per_hour) == 4
    extra = make_user(session, role="member", unit=played["users"][0].member.unit)
    S.start_attempt(session, rnd.id, user=extra, actor=actor_for(extra), now=now)
    again = D.snapshot(session, rnd, now + timedelta(minutes=11))
    assert again is snap  # cached: many open dashboards, one query set per 30 s
    D._cache.clear()
    assert D.snapshot(session, rnd, now).in_progress == 1
    session.commit()
    login_as("organiser", played["province"])
    c = played["contest"]
    page = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 2 and 'id="autorefresh"' in page
    assert "<script" not in page.split("<footer>")[0]  # inline scripts: none
    assert "Phân bố điểm" in page
    # The figures are drawn once per snapshot and language: English gets its own.
    client.post("/lang", data={"lang": "en", "next": "/"})
    english = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/dashboard").get_data(as_text=True)
    assert "Score distribution" in english and "Phân bố điểm" not in english
    assert "Chi đoàn Mỹ Long: 3/" in english  # the units below, in the cached board too


def test_prize_and_unit_exports(client, login_as, session, played):
    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    prizes = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/prizes.xlsx")
    rows = list(load_workbook(io.BytesIO(prizes.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Giải" and rows[1][0] == "Giải Nhất"
    units = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/units.csv").data
    table = list(csv.reader(io.StringIO(units.decode("utf-8-sig"))))
    assert table[0][0] == "Đơn vị" and {r[0] for r in table[1:]} == {
        "Tỉnh Đoàn An Giang",
        "Chi đoàn Mỹ Long",
    }
    assert client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/nope.csv").status_code == 404


def test_attempt_pdf_for_disputes(client, login_as, session, played, tmp_path):
    import subprocess

    from quizapp.contests.models import Attempt

    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == played["users"][1].id))
    resp = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/attempts/{attempt.id}.pdf")
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-"
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(resp.data)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "Đặng Hữu Phước" in text and "Câu hỏi số" in text and "3/3" in text


def test_contest_settings_choose_order_and_full_names(client, login_as, session, played):
    c, rnd = played["contest"], played["rnd"]
    masked = client.get(f"/c/{c.slug}/rounds/{rnd.id}/ranking").get_data(as_text=True)
    assert "Nguyễn T. H. N." in masked  # the board is now cached for 30 s...
    login_as("organiser", played["province"])
    resp = client.post(
        f"/org/contests/{c.id}/edit",
        data={
            "title": c.title,
            "owner_unit_id": c.owner_unit_id,
            "eligibility": "subtree",
            "ranking_order": "score,time,submitted",
        },
    )  # the name box left unticked
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(type(c), c.id).ranking_order == ["score", "time", "submitted"]
    page = client.get(f"/c/{c.slug}/rounds/{rnd.id}/ranking").get_data(as_text=True)
    assert "Nguyễn Thị Hồng Nhung" in page  # ...and saving the settings redraws it at once
    ranking, _ = R.round_ranking(
        session, session.get(type(rnd), rnd.id), rnd.closes_at + timedelta(minutes=1)
    )
    # without the prediction key the faster of the two perfect scores comes first
    assert ranking[0].entry.duration_s <= ranking[1].entry.duration_s


def test_contest_results_page_and_export(client, login_as, session, played):
    ranking = R.contest_ranking(
        session, played["contest"], played["rnd"].closes_at + timedelta(minutes=1)
    )
    assert [r.entry.name for r in ranking][0] == "Đặng Hữu Phước"
    login_as("organiser", played["province"])
    c = played["contest"]
    assert "Đặng Hữu Phước" in client.get(f"/org/contests/{c.id}/results").get_data(as_text=True)
    rows = list(
        load_workbook(
            io.BytesIO(client.get(f"/org/contests/{c.id}/results?format=xlsx").data)
        ).active.iter_rows(values_only=True)
    )
    assert rows[0][1] == "Họ và tên" and len(rows) == 4
    # The registration fields of each participant, as in the round's export.
    head = rows[0]
    assert [head.index(h) for h in ("Ngày sinh", "Số điện thoại", "Mã đơn vị", "Đối tượng")]
    first = dict(zip(head, rows[1], strict=True))
    member = played["users"][1].member
    assert first["Họ và tên"] == "Đặng Hữu Phước" and first["Mã đơn vị"] == "AG-ML"
    assert first["Số điện thoại"] == member.phone and member.phone.startswith("09")
    assert first["Ngày sinh"] == "01/01/2000" == member.birth_date.strftime("%d/%m/%Y")
    assert first["Số tuần thi đã làm"] == 1 and first["Số câu đúng"] == 3
    csv = client.get(f"/org/contests/{c.id}/results?format=csv").data
    assert csv.startswith(b"\xef\xbb\xbf") and "Đặng Hữu Phước".encode() in csv


def test_prediction_answer_by_the_organisers_count(session, played):
    rnd = played["rnd"]
    after = rnd.closes_at + timedelta(minutes=1)
    assert R.round_ranking(session, rnd, after)[1] == 2  # every answer right
    rnd.prediction_min_correct = 1
    assert R.round_ranking(session, rnd, after)[1] == 3  # at least one right answer


def test_prize_points_join_the_units_ranking(session, played, now):
    from tests.factories import make_member, make_unit

    contest, rnd = played["contest"], played["rnd"]
    other = make_unit(session, "Chi đoàn khác", parent=played["province"], code="AG-K")
    for _ in range(2):
        make_member(session, other)
    session.flush()
    # nobody of the other branch took part: participation 100 % vs 0 %
    _, _, collective = U.unit_participation(session, rnd)
    assert collective.by_rate[0].unit.name == "Chi đoàn Mỹ Long"
    R.publish_prizes(session, rnd.id, actor=SYSTEM, now=rnd.closes_at + timedelta(minutes=1))
    contest.points_weight = 2.0
    _, _, collective = U.unit_participation(session, rnd)
    scores = {s.unit.name: s.value for s in collective.by_rate}
    won = sum(contest.prize_points[e["prize"]] for e in R.published_prizes(session, rnd.id).entries)
    assert scores["Chi đoàn Mỹ Long"] == pytest.approx(100 + 2.0 * won)


def test_contest_prize_list_published_after_the_last_round(client, login_as, session, played):
    contest, rnd = played["contest"], played["rnd"]
    with pytest.raises(R.Invalid):
        R.publish_contest_prizes(
            session, contest, actor=SYSTEM, now=rnd.closes_at - timedelta(minutes=1)
        )
    contest.prizes = {"first": 1, "second": 1, "third": 0, "consolation": 0}
    published = R.publish_contest_prizes(
        session, contest, actor=SYSTEM, now=rnd.closes_at + timedelta(minutes=1)
    )
    assert [e["prize_name"] for e in published.entries] == ["Giải Nhất", "Giải Nhì"]
    assert R.published_contest_prizes(session, contest.id).id == published.id
    session.commit()
    login_as("organiser", played["province"])
    page = client.get(f"/org/contests/{contest.id}/results").get_data(as_text=True)
    assert "Giải Nhất" in page and "Đặng Hữu Phước" in page
    resp = client.post(
        f"/org/contests/{contest.id}/results",
        data={"action": "counts", "first": "2", "second": "0", "third": "0", "consolation": "0"},
    )
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(type(contest), contest.id).prizes["first"] == 2


def test_public_ranking_keeps_one_set_of_ranks_per_round(session, played, now):
    """Each computation replaces the participants' ranks instead of adding a set (a national
    round's million ranks every 30 s would fill the memory within hours)."""
    from quizapp.cache import MemoryCache

    cache, rnd = MemoryCache(), played["rnd"]
    first = R.cached_ranking(session, rnd, now, cache=cache)
    keys = set(cache._data)
    R.ranking_changed(cache, rnd.id)
    second = R.cached_ranking(session, rnd, now, cache=cache)
    assert second.stamp != first.stamp and set(cache._data) == keys
    ranks = {u.id: R.own_rank(cache, rnd.id, u.id)[0] for u in played["users"]}
    assert sorted(ranks.values()) == [1, 2, 3]


def test_cached_rankings_are_computed_again_when_the_round_closes(session, played, now):
    """The prediction's answer is known once the round closes: a ranking cached while it was
    open (one computation for the public page and the organiser's results) must not be
    served after."""
    from quizapp.cache import MemoryCache

    cache, rnd = MemoryCache(), played["rnd"]
    after = rnd.closes_at + timedelta(minutes=1)
    before = R.cached_ranking(session, rnd, now, cache=cache)
    assert before.actual is None and R.cached_ranking(session, rnd, now, cache=cache) is before
    closed = R.cached_ranking(session, rnd, after, cache=cache)
    assert closed.actual == 2 and closed.total == 3
    assert [p["prize"] for p in closed.proposed] == [p["prize"] for p in before.proposed]


def test_a_managed_round_loads_in_one_query(session, played, engine):
    """Every organiser page of a round checks its contest's unit: one query (the contest
    was a second one, and its other rounds a third when not already in the session)."""
    from sqlalchemy import event

    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    session.expunge_all()
    event.listen(engine, "before_cursor_execute", record)
    try:
        rnd = R.get_managed_round(session, played["rnd"].id, SYSTEM)
        assert rnd.contest.owner_unit.path == played["province"].path
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_anonymous_visitors_get_the_ranking_page_rendered_once(app, client, session, played):
    """Without a session (no menu, no messages, no own rank) the whole page is rendered once
    per computation and language; a participant's page is drawn for them, with their rank."""
    from flask import template_rendered

    c, rnd = played["contest"], played["rnd"]
    url = f"/c/{c.slug}/rounds/{rnd.id}/ranking"
    rendered = []

    def record(_sender, template, context, **_extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    try:
        first = client.get(url)
        assert "contests/ranking.html" in rendered
        rendered.clear()
        again = client.get(url)
        assert rendered == [] and again.get_data(as_text=True) == first.get_data(as_text=True)
        assert again.headers["X-Frame-Options"] == "DENY"
        assert again.headers["Cache-Control"] == "public, max-age=30"  # shared by visitors
        client.set_cookie("lang", "en")
        english = client.get(url).get_data(as_text=True)
        assert "contests/ranking.html" in rendered and "<h1>Ranking: " in english
        rendered.clear()
        user = played["users"][1]
        client.post(
            "/login", data={"identifier": user.email or user.phone, "password": "correct horse"}
        )
        mine = client.get(url)
        assert "contests/ranking.html" in rendered
        assert "Your rank: 1 of 3 (3/3 correct)." in mine.get_data(as_text=True)
        assert mine.headers["Cache-Control"] == "no-store"
    finally:
        template_rendered.disconnect(record, app)


def test_the_rankings_round_facts_are_cached_and_dropped_with_it(app, client, session, played):
    """The round's title and closing time are read once per period, and a change the
    organiser makes (ranking_changed, called after a round is saved) shows at once; a draft
    contest's ranking is not found, and not remembered as such."""
    c, rnd = played["contest"], played["rnd"]
    url = f"/c/{c.slug}/rounds/{rnd.id}/ranking"
    assert "Tuần thi thứ 1" in client.get(url).get_data(as_text=True)
    rnd.title = "Tuần thi đặc biệt"
    session.commit()
    assert "Tuần thi thứ 1" in client.get(url).get_data(as_text=True)  # cached
    R.ranking_changed(app.extensions["quizapp_cache"], rnd.id)
    assert "Tuần thi đặc biệt" in client.get(url).get_data(as_text=True)
    assert client.get(f"/c/other-slug/rounds/{rnd.id}/ranking").status_code == 404
    c.status = "draft"
    R.ranking_changed(app.extensions["quizapp_cache"], rnd.id)
    session.commit()
    assert client.get(url).status_code == 404
    c.status = "published"
    session.commit()
    assert client.get(url).status_code == 200


def _published_prizes(session, played, now):
    rnd = played["rnd"]
    R.set_prize_counts(session, rnd.id, {"first": 1, "second": 1}, actor=SYSTEM, now=now)
    after = rnd.closes_at + timedelta(minutes=1)
    published = R.publish_prizes(session, rnd.id, actor=SYSTEM, now=after)
    session.commit()
    return published, after


def _prize_rows(client, c, rnd) -> list[tuple]:
    data = client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/prizes.xlsx").data
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_prize_names_and_explanations_follow_the_interface_language(
    client, login_as, session, played, now, clock
):
    """The prize list (drawn now, published, exported) names the prizes and explains each
    place in the interface's language; the names stay as typed; the frozen list keeps the
    explanation as a message, so it reads in both."""
    c, rnd = played["contest"], played["rnd"]
    published, after = _published_prizes(session, played, now)
    clock.set(after)
    login_as("organiser", played["province"])
    url = f"/org/contests/{c.id}/rounds/{rnd.id}/results"
    vi_page = client.get(url).get_data(as_text=True)
    assert (
        "Giải Nhì" in vi_page and "Đặng Hữu Phước trước Nguyễn Thị Hồng Nhung: cùng điểm" in vi_page
    )
    rows = _prize_rows(client, c, rnd)
    assert rows[2][0] == "Giải Nhì" and "dự đoán lệch 1 so với 3" in rows[2][-2]
    client.post("/lang", data={"lang": "en", "next": url})
    en_page = client.get(url).get_data(as_text=True)
    assert "Second prize" in en_page and "Giải Nhì" not in en_page
    assert "Đặng Hữu Phước before Nguyễn Thị Hồng Nhung: same score" in en_page
    assert "prediction off by 1 against 3" in en_page and "dự đoán" not in en_page
    rows = _prize_rows(client, c, rnd)  # the published list, exported
    assert rows[1][0] == "First prize" and rows[2][0] == "Second prize"
    assert rows[2][2] == "Nguyễn Thị Hồng Nhung" and "prediction off by 1 against 3" in rows[2][-2]
    board = client.get(f"/c/{c.slug}/rounds/{rnd.id}/ranking").get_data(as_text=True)
    assert "Second prize" in board and "Giải Nhì" not in board
    # the stored certificate text stays Vietnamese whatever the interface language
    assert [e["prize_name"] for e in published.entries] == ["Giải Nhất", "Giải Nhì"]


def test_a_list_published_before_explanations_were_messages_exports_its_text(
    client, login_as, session, played, now, clock
):
    c, rnd = played["contest"], played["rnd"]
    published, after = _published_prizes(session, played, now)
    old = [dict(e) for e in published.entries]
    for e in old:
        e.pop("reason")
        e["why"] = (
            "" if e["rank"] == 1 else "Đặng Hữu Phước trước Nguyễn Thị Hồng Nhung: văn bản cũ"
        )
    published.entries = old
    session.commit()
    clock.set(after)
    login_as("organiser", played["province"])
    rows = _prize_rows(client, c, rnd)
    assert rows[1][-2] in ("", None) and rows[2][-2] == (
        "Đặng Hữu Phước trước Nguyễn Thị Hồng Nhung: văn bản cũ"
    )
