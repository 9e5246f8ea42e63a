"""Moving a unit: the list offers only units it can move under (not itself nor its subtree)."""

import re

from tests.factories import make_unit


def test_the_move_list_offers_no_unit_of_the_own_subtree(client, login_as, session):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    ward = make_unit(session, "Đoàn phường Long Xuyên", parent=province, code="AG-LX")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=ward, code="AG-LX-ML")
    other = make_unit(session, "Đoàn xã Mỹ Hòa Hưng", parent=province, code="AG-MHH")
    session.commit()
    login_as("organiser", province)
    html = client.get(f"/org/units/{ward.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="move-parent_id".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'<option[^>]*value="(\d+)"', select))
    assert offered == {str(province.id), str(other.id)}
    assert str(branch.id) not in offered and str(ward.id) not in offered
    # And the service refuses it all the same.
    resp = client.post(f"/org/units/{ward.id}/move", data={"move-parent_id": branch.id})
    assert resp.status_code in (200, 302, 422)
    session.refresh(ward)
    assert ward.parent_id == province.id
