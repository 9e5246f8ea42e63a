"""The results page's unit participation, on a phone: every unit after its parent, each
level indented further than its parent by the stylesheet (the page's CSP allows no inline
style), and the accessibility check still clean."""

import pytest

from tests.browser.test_bank_flow import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def a_round(live_app, live_clock):
    """A round of the demo province (its tree: province, wards, branches)."""
    from sqlalchemy import select

    from quizapp.extensions import db
    from quizapp.orgs.models import Unit
    from tests.contest_helpers import make_bank, make_contest

    with live_app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "AG"))
        bank = make_bank(db.session, province, live_clock.now(), key="bank-unit-tree")
        rnd = make_contest(db.session, province, bank, live_clock.now(), count=3).rounds[0]
        db.session.commit()
        return rnd.contest_id, rnd.id


def test_unit_participation_is_an_indented_tree(live_server, page, check_a11y, a_round):
    contest_id, round_id = a_round
    login(page, live_server)
    page.goto(f"{live_server}/org/contests/{contest_id}/rounds/{round_id}/results")
    cells = page.evaluate(
        """() => [...document.querySelectorAll('th.unit-cell')].map(c => [
             +c.className.match(/depth-(\\d)/)[1],
             parseFloat(getComputedStyle(c).paddingLeft)])"""
    )
    assert len(cells) > 3 and cells[0][0] == 0
    levels = [d for d, _ in cells]
    assert max(levels) >= 2
    for (d1, _p1), (d2, _p2) in zip(cells, cells[1:], strict=False):
        assert d2 <= d1 + 1  # depth first: a unit never skips a level below the one before
    padding = {}
    for d, p in cells:
        padding.setdefault(d, p)
    assert all(padding[d] < padding[d + 1] for d in range(max(levels)))  # indented by depth
    assert check_a11y(page) == []
