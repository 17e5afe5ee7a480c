from service.domain import events as ev
from service.store.eventstore import EventStore, VersionConflict, Idempotency
import pytest


def test_append_read_verify(store: EventStore, system_actor):
    r = store.append("programme-1", [ev.ProgrammeCreated("1", "T", "", "PGO")],
                     expected_version=0, actor=system_actor, parent="")
    assert r.events[0].position == 1
    r2 = store.append("milestone-1", [ev.CommentAdded("x"), ev.CommentAdded("y")],
                      expected_version=0, actor=system_actor)
    assert [e.position for e in r2.events] == [2, 3]
    assert store.verify().ok
    with pytest.raises(VersionConflict):
        store.append("milestone-1", [ev.CommentAdded("z")], expected_version=1, actor=system_actor)
    idem = Idempotency("tok", "k1", "fp")
    a = store.append("milestone-1", [ev.CommentAdded("z")], expected_version=None,
                     actor=system_actor, idempotency=idem)
    b = store.append("milestone-1", [ev.CommentAdded("z")], expected_version=None,
                     actor=system_actor, idempotency=idem)
    assert b.replay.last_version == 3 and store.head_position() == 4
    assert store.children("") == ["programme-1"]
    assert store.verify().ok
