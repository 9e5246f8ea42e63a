"""The prediction question reads the same everywhere: for each subject (every answer right,
at least N right answers, a number the organiser types after the round) the participant's
prompt (review page and the quiz page's review panel), the organiser's results page, the
results and prize exports and the prize list's tie-break explanation name the same subject,
and the number shown is the one the ranking measures predictions against."""

import csv
import io
from datetime import timedelta

import pytest

from quizapp.auth.services import actor_for
from quizapp.contests import attempts as A
from quizapp.contests import results as R
from quizapp.contests import starting as S
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user

ALL = "Dự đoán: có bao nhiêu người trả lời đúng tất cả các câu hỏi?"
AT_LEAST_1 = "Dự đoán: có bao nhiêu người trả lời đúng ít nhất 1 câu?"
TYPED = "có bao nhiêu đoàn viên trong tỉnh tham gia?"
PROMPTS = {ALL, AT_LEAST_1, f"Dự đoán: {TYPED}"}


def _csv(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("subject", "question", "label", "actual"),
    [
        ({}, ALL, "Số người trả lời đúng tất cả các câu hỏi (đáp án của câu hỏi dự đoán)", 2),
        (
            {"prediction_min_correct": 1},
            AT_LEAST_1,
            "Số người trả lời đúng ít nhất 1 câu (đáp án của câu hỏi dự đoán)",
            3,
        ),
        (
            {"prediction_question": TYPED},
            f"Dự đoán: {TYPED}",
            f"{TYPED} (con số do người tổ chức nhập; đáp án của câu hỏi dự đoán)",
            4,
        ),
    ],
    ids=["all-correct", "at-least-n", "typed"],
)
def test_prediction_subject_reads_the_same_everywhere(
    client, login_as, session, now, clock, subject, question, label, actual
):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=province, code="AG-ML")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    rnd = contest.rounds[0]
    for k, v in subject.items():
        setattr(rnd, k, v)
    # right answers 3, 3, 1 (and one wrong), equal scores for the first two: the prediction
    # (5 and 2) decides between them
    for i, (right, pred, secs) in enumerate(((3, 5, 100), (3, 2, 90), (1, None, 50))):
        user = make_user(session, role="member", unit=branch, name=f"Người thi {i}")
        attempt = S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=now)
        for aq in attempt.questions[:right]:
            choice = {"choices": [aq.option_order.index(0)]}
            A.save_answer(session, attempt.id, aq.position, choice, user=user, now=now)
        A.submit_attempt(
            session, attempt.id, user=user, now=now + timedelta(seconds=secs), prediction=pred
        )
    session.commit()

    # 1. the participant's prompt: the review page and the quiz page's review panel
    member = login_as("member", unit=branch)
    mine = S.start_attempt(session, rnd.id, user=member, actor=actor_for(member), now=now)
    session.commit()
    for page in (f"/attempts/{mine.id}/review", f"/attempts/{mine.id}"):
        html = client.get(page).get_data(as_text=True)
        assert f'<label for="prediction">{question}</label>' in html, page
        assert 'id="prediction" name="prediction"' in html
        assert not any(other in html for other in PROMPTS - {question})

    # 2. after the round closes: the count the ranking uses, under the label
    closed = rnd.closes_at + timedelta(minutes=1)
    clock.set(closed)
    client.post("/logout")
    login_as("organiser", unit=province)
    base = f"/org/contests/{contest.id}/rounds/{rnd.id}"
    if "prediction_question" in subject:
        # the organiser's number is not known yet: the ranking by prediction waits, and
        # the pages and exports say so rather than show a number
        assert R.round_ranking(session, rnd, closed)[1] is None
        html = client.get(f"{base}/results").get_data(as_text=True)
        assert "Xếp hạng theo dự đoán đang chờ: người tổ chức chưa nhập con số thực tế." in html
        assert f"{label}:" not in html
        rows = _csv(client.get(f"{base}/results.csv").data)
        assert {r[label] for r in rows} == {""}
        assert 'id="prediction_answer" name="prediction_answer"' in html
        public = client.get(f"/c/{contest.slug}/rounds/{rnd.id}/ranking").get_data(as_text=True)
        assert "(biết khi người tổ chức nhập con số thực tế)" in public
        client.post(
            f"{base}/results", data={"action": "prediction_answer", "prediction_answer": "4"}
        )
        session.expire_all()
        assert rnd.prediction_answer == 4
    ranking, used = R.round_ranking(session, rnd, closed)
    assert used == actual == rnd.prediction_subject.count(r.entry for r in ranking)
    html = client.get(f"{base}/results").get_data(as_text=True)
    assert f"{label}: {actual}" in html

    # 3. the exports: the same label as a column, the same number; the prize explanation
    rows = _csv(client.get(f"{base}/results.csv").data)
    assert len(rows) == 3 and {r[label] for r in rows} == {str(actual)}
    prizes = _csv(client.get(f"{base}/prizes.csv").data)
    assert {r[label] for r in prizes} == {str(actual)}
    why = next(r["Lý do xếp thứ tự"] for r in prizes if "dự đoán lệch" in r["Lý do xếp thứ tự"])
    assert why.endswith(f"({label}: {actual})")
    distances = sorted(abs(p - actual) for p in (5, 2))
    assert f"dự đoán lệch {distances[0]} so với {distances[1]}" in why


def test_the_organisers_number_is_entered_after_the_round_and_only_for_a_typed_subject(
    session, now
):
    from quizapp.audit.models import AuditEntry
    from quizapp.errors import Invalid

    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    organiser = make_user(session, role="organiser", unit=province)
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    rnd = contest.rounds[0]
    who = actor_for(organiser)
    closed = rnd.closes_at + timedelta(minutes=1)
    with pytest.raises(Invalid):  # a counted subject is never typed
        R.set_prediction_answer(session, rnd.id, 4, actor=who, now=closed)
    rnd.prediction_question = TYPED
    with pytest.raises(Invalid):  # no prize list while the ties wait for the number
        R.publish_prizes(session, rnd.id, actor=who, now=closed)
    last_closed = max(r.closes_at for r in contest.rounds) + timedelta(minutes=1)
    with pytest.raises(Invalid):  # nor the whole contest's
        R.publish_contest_prizes(session, contest, actor=who, now=last_closed)
    with pytest.raises(Invalid):  # not before the round closes
        R.set_prediction_answer(session, rnd.id, 4, actor=who, now=closed - timedelta(hours=1))
    R.set_prediction_answer(session, rnd.id, 4, actor=who, now=closed)
    assert rnd.prediction_subject.count([]) == 4
    assert R.publish_prizes(session, rnd.id, actor=who, now=closed).actual == 4
    assert R.publish_contest_prizes(session, contest, actor=who, now=last_closed) is not None
    entry = session.query(AuditEntry).filter_by(action="round.prediction_answer").one()
    assert (entry.before, entry.after) == ({"prediction_answer": None}, {"prediction_answer": 4})


def test_the_round_form_sets_one_subject_only(client, login_as, session, now):
    from quizapp.contests.services import RoundData, save_round
    from quizapp.errors import Invalid
    from quizapp.policy import SYSTEM

    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=3, publish=False)
    rnd = contest.rounds[0]
    data = dict(
        title=rnd.title,
        opens_at=rnd.opens_at,
        closes_at=rnd.closes_at,
        time_limit_s=rnd.time_limit_s,
        bank_id=bank.id,
        blueprint=tuple(rnd.blueprint),
        include_unverified=True,
    )
    with pytest.raises(Invalid) as refused:  # "at least N" and a typed number: which one?
        save_round(
            session,
            contest.id,
            RoundData(**data, prediction_min_correct=2, prediction_question=TYPED),
            actor=SYSTEM,
            now=now,
            round_id=rnd.id,
        )
    assert "prediction_question" in refused.value.field_errors
    save_round(
        session,
        contest.id,
        RoundData(**data, prediction_question=f"  {TYPED} "),
        actor=SYSTEM,
        now=now,
        round_id=rnd.id,
    )
    assert rnd.prediction_question == TYPED and rnd.prediction_subject.typed
    session.commit()
    login_as("organiser", unit=province)
    form = client.get(f"/org/contests/{contest.id}/rounds/{rnd.id}").get_data(as_text=True)
    assert 'name="prediction_question"' in form and TYPED in form
