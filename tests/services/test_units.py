"""Unit tree services on a real database: create, move, archive, merge, tree counts."""

import pytest
from sqlalchemy import select

from quizapp.audit.models import AuditEntry
from quizapp.auth.models import OrganiserRole
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.orgs import services
from quizapp.orgs.models import Member, MemberUnitHistory, Unit
from quizapp.policy import SYSTEM, Actor
from tests.factories import make_member, make_unit, make_user


@pytest.fixture()
def tree(session):
    province = make_unit(session, "Tỉnh Đoàn An Giang")
    a = make_unit(session, "Đoàn xã A", parent=province, type_key="commune")
    b = make_unit(session, "Đoàn xã B", parent=province, type_key="commune")
    a1 = make_unit(session, "Chi đoàn A1", parent=a)
    b1 = make_unit(session, "Chi đoàn B1", parent=b)
    return province, a, b, a1, b1


def organiser(unit):
    return Actor(user_id=None, managed_paths=(unit.path,))


def test_paths_follow_parents_at_any_depth(session, tree, now):
    province, a, _b, a1, _ = tree
    deep = a1
    for i in range(6):  # no fixed depth
        deep = services.create_unit(
            session,
            actor=SYSTEM,
            code=f"D{i}",
            name=f"Tầng {i}",
            type_key="branch",
            parent_id=deep.id,
            now=now,
        )
    assert deep.depth == 8 and deep.path.startswith(a1.path) and province.contains(deep)
    assert [u.id for u in services.ancestors(session, deep)][:3] == [province.id, a.id, a1.id]


def test_create_refuses_duplicate_code_and_foreign_parent(session, tree, now):
    _p, a, b, a1, _ = tree
    with pytest.raises(Invalid) as exc:
        services.create_unit(
            session,
            actor=SYSTEM,
            code=a1.code.lower(),
            name="X",
            type_key="branch",
            parent_id=a.id,
            now=now,
        )
    assert "code" in exc.value.field_errors
    with pytest.raises(Forbidden):
        services.create_unit(
            session,
            actor=organiser(a),
            code="NEW",
            name="X",
            type_key="branch",
            parent_id=b.id,
            now=now,
        )


def test_move_rewrites_subtree_paths(session, tree, now):
    province, a, b, a1, _ = tree
    leaf = make_unit(session, "Tổ 1", parent=a1)
    services.move_unit(session, a1.id, b.id, actor=SYSTEM, now=now)
    session.expire_all()
    a1, leaf = session.get(Unit, a1.id), session.get(Unit, leaf.id)
    assert a1.parent_id == b.id and a1.path == f"{b.path}{a1.id}/"
    assert leaf.path == f"{a1.path}{leaf.id}/" and leaf.depth == a1.depth + 1


def test_move_refuses_cycles_and_own_root(session, tree, now):
    province, a, _b, a1, _ = tree
    with pytest.raises(Invalid):
        services.move_unit(session, a.id, a1.id, actor=SYSTEM, now=now)
    with pytest.raises(Forbidden):
        services.move_unit(session, a.id, province.id, actor=organiser(a), now=now)


def test_archive_only_empty_units(session, tree, now):
    _p, a, _b, a1, _ = tree
    make_member(session, a1)
    with pytest.raises(Conflict):
        services.archive_unit(session, a1.id, actor=SYSTEM, now=now)
    empty = make_unit(session, "Trống", parent=a)
    services.archive_unit(session, empty.id, actor=SYSTEM, now=now)
    assert empty.archived and empty not in services.children_of(session, a.id)


def test_merge_moves_members_children_roles_and_keeps_history(session, tree, now):
    province, a, b, a1, b1 = tree
    ma = make_member(session, a, "Trần Thị A")
    ma1 = make_member(session, a1, "Lê Văn A1")
    mb = make_member(session, b, "Phạm Văn B")
    user = make_user(session, role="admin")
    session.add(OrganiserRole(user_id=user.id, unit_id=a.id, granted_at=now))
    session.flush()
    new = services.create_unit(
        session,
        actor=SYSTEM,
        code="AB",
        name="Đoàn xã AB",
        type_key="commune",
        parent_id=province.id,
        now=now,
    )
    services.merge_units(session, [a.id, b.id], new.id, actor=SYSTEM, now=now)
    session.expire_all()
    a, b, a1 = session.get(Unit, a.id), session.get(Unit, b.id), session.get(Unit, a1.id)
    assert a.archived and b.archived and a.successor_id == new.id == b.successor_id
    assert services.successor_of(session, a).id == new.id
    assert {session.get(Member, m.id).unit_id for m in (ma, mb)} == {new.id}
    assert session.get(Member, ma1.id).unit_id == a1.id and a1.parent_id == new.id
    assert a1.path.startswith(new.path)
    assert (
        session.scalar(select(OrganiserRole.unit_id).where(OrganiserRole.user_id == user.id))
        == new.id
    )
    history = session.scalars(
        select(MemberUnitHistory)
        .where(MemberUnitHistory.member_id == ma.id)
        .order_by(MemberUnitHistory.id)
    ).all()
    assert [(h.unit_id, h.end_at is not None) for h in history] == [(a.id, True), (new.id, False)]
    assert history[1].reason == "merge"
    merges = session.scalars(select(AuditEntry).where(AuditEntry.action == "unit.merge")).all()
    assert {e.object_id for e in merges} == {str(a.id), str(b.id)}


def test_merge_refuses_into_own_subtree_or_outside_scope(session, tree, now):
    _p, a, b, a1, _ = tree
    with pytest.raises(Invalid):
        services.merge_units(session, [a.id], a1.id, actor=SYSTEM, now=now)
    with pytest.raises(NotFound):
        services.merge_units(session, [a1.id], b.id, actor=organiser(a), now=now)


def test_tree_rolls_member_counts_up(session, tree):
    province, a, b, a1, b1 = tree
    for _ in range(3):
        make_member(session, a1)
    make_member(session, b1)
    make_member(session, a)
    inactive = make_member(session, b1)
    inactive.active = False
    session.flush()
    [root] = services.tree(session, [province])
    counts = {n.unit.code: n.members for n in root.children}
    assert root.members == 5 and counts == {a.code: 4, b.code: 1}


def test_search_ignores_diacritics(session, tree):
    assert [u.name for u in services.search_units(session, "chi doan a1")] == ["Chi đoàn A1"]
    assert services.search_units(session, "x") == []
