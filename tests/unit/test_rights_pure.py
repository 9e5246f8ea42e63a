"""Pure parts of the data-rights code: where an organiser's page over several units is logged
(their subtrees' common root), and how a deleted person's values are replaced in texts."""

from quizapp.policy import Actor
from quizapp.rights.access import actor_path, common_path


def test_common_path():
    assert common_path(["/1/7/42/", "/1/7/43/"]) == "/1/7/"
    assert common_path(["/1/7/42/"]) == "/1/7/42/"
    assert common_path(["/1/", "/2/"]) == "/"
    assert common_path(["/1/71/", "/1/7/"]) == "/1/"  # whole segments, not characters
    assert common_path([]) == "/"


def test_actor_path():
    assert actor_path(Actor(user_id=1, is_admin=True)) == "/"
    assert actor_path(Actor(user_id=2, managed_paths=("/1/7/", "/1/7/9/"))) == "/1/7/"


def test_scrubbing_replaces_whole_values_only():
    from quizapp.rights.pseudonymise import _scrub_text

    why = "Phan Ba trước Phan Bao: điểm 8 so với 7"
    assert _scrub_text(why, ["Phan Ba"], "X#1") == "X#1 trước Phan Bao: điểm 8 so với 7"
    assert _scrub_text({"a": ["Phan Ba", 3]}, ["Phan Ba"], "[đã xóa]") == {"a": ["[đã xóa]", 3]}
