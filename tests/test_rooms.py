"""Rooms in a web process with the Redis channel: plain dicts where python-socketio would keep bidicts."""

from __future__ import annotations

import pytest
from bidict import bidict

from novacart.realtime import BatchingRedisManager, _Room


@pytest.fixture
def manager():
    # no connection is made: the rooms live in the process, Redis only carries emits between processes
    return BatchingRedisManager("redis://127.0.0.1:1/0", channel="rooms-test")


def _connect(manager, sid: str, eio_sid: str, *rooms: str) -> None:
    manager.basic_enter_room(sid, "/", None, eio_sid=eio_sid)  # what pre_connect does
    manager.basic_enter_room(sid, "/", sid, eio_sid=eio_sid)
    for room in rooms:
        manager.basic_enter_room(sid, "/", room)


def test_a_socket_is_found_through_its_rooms_as_before(manager):
    _connect(manager, "s1", "e1", "user:7")
    _connect(manager, "s2", "e2", "user:7", "staff")
    assert sorted(manager.get_participants("/", "user:7")) == [("s1", "e1"), ("s2", "e2")]
    assert sorted(manager.get_participants("/", ["staff", "s1"])) == [("s1", "e1"), ("s2", "e2")]
    assert manager.sid_from_eio_sid("e2", "/") == "s2" and manager.eio_sid_from_sid("s1", "/") == "e1"
    assert sorted(manager.get_rooms("s2", "/")) == ["s2", "staff", "user:7"]
    # only the room of every connected sid is a bidict (it is looked up backwards); the rest are plain dicts
    assert type(manager.rooms["/"][None]) is bidict
    assert {type(room) for name, room in manager.rooms["/"].items() if name is not None} == {_Room}


def test_a_disconnected_socket_leaves_every_room_and_empty_rooms_go(manager):
    _connect(manager, "s1", "e1", "user:7")
    _connect(manager, "s2", "e2", "user:8")
    manager.basic_disconnect("s1", "/")
    assert list(manager.get_participants("/", "user:7")) == []
    assert set(manager.rooms["/"]) == {None, "s2", "user:8"}


def test_no_socket_enters_another_sockets_own_room(manager):
    _connect(manager, "s1", "e1")
    _connect(manager, "s2", "e2")
    with pytest.raises(ValueError):
        manager.basic_enter_room("s2", "/", "s1")
    assert list(manager.get_participants("/", "s1")) == [("s1", "e1")]
