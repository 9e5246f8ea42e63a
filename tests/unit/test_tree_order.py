"""Units in tree order: depth first, siblings by name (diacritics ignored), not level by level
and not by the materialised path's text."""

from dataclasses import dataclass

from quizapp.orgs.treeorder import tree_order


@dataclass
class U:
    id: int
    parent_id: int | None
    name: str
    depth: int = 0

    @property
    def path(self) -> str:  # as Unit.path would be for this little tree
        chain, node = [], self
        while node is not None:
            chain.append(str(node.id))
            node = BY_ID.get(node.parent_id)
        return "/" + "/".join(reversed(chain)) + "/"


# A province (1), two communes, a branch of the first commune created after the second
# commune's branches, so ids, levels and the tree disagree; and a commune with id 10 so that
# the path "/1/10/" sorts, as text, before "/1/7/".
TREE = [
    U(1, None, "Tỉnh Đoàn An Giang", 0),
    U(7, 1, "Xã Bình Hòa", 1),
    U(10, 1, "Phường Mỹ Long", 1),
    U(11, 10, "Chi đoàn khu phố 1", 2),
    U(12, 7, "Chi đoàn ấp 2", 2),
    U(13, 7, "Chi đoàn Ấp 1", 2),
    U(14, 10, "Chi đoàn khu phố 1", 2),  # the same name in the same commune: by id
]
BY_ID = {u.id: u for u in TREE}


def names(units):
    return [(u.id, u.name) for u in units]


def test_depth_first_with_each_branch_under_its_own_commune():
    order = tree_order(reversed(TREE))
    assert [u.id for u in order] == [1, 10, 11, 14, 7, 13, 12]
    by_level = sorted(TREE, key=lambda u: (u.depth, u.name))
    assert [u.id for u in by_level] != [u.id for u in order]  # the old order differs
    for i, u in enumerate(order):  # every unit comes after its parent, its subtree right after
        if u.parent_id:
            parent = next(j for j, p in enumerate(order) if p.id == u.parent_id)
            assert parent < i
            assert all(order[k].depth > order[parent].depth for k in range(parent + 1, i))


def test_path_text_is_depth_first_but_not_by_name():
    """The materialised path sorts depth first under a byte-wise collation ("/" before the
    digits) but puts siblings in id order as text, so tree_order does not rely on it."""
    by_path = sorted(TREE, key=lambda u: u.path)
    assert [u.id for u in by_path] == [1, 10, 11, 14, 7, 12, 13]  # "/1/10/" < "/1/7/"
    assert [u.id for u in tree_order(TREE)] == [1, 10, 11, 14, 7, 13, 12]  # Ấp 1 before ấp 2


def test_a_forest_and_a_cycle():
    forest = [U(5, 99, "B"), U(6, 98, "A"), U(8, 6, "A1")]  # parents outside the list
    assert [u.id for u in tree_order(forest)] == [6, 8, 5]
    loop = [U(1, 2, "x"), U(2, 1, "y")]  # bad data: neither is a root; kept, never looped
    assert [u.id for u in tree_order(loop)] == [1, 2]
