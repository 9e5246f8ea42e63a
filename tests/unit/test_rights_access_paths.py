"""Where an organiser's page over several units is logged: their subtrees' common root."""

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
