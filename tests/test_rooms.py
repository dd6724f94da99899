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


class _Untouchable(dict):
    """A room whose membership must not be asked: it holds none of the sockets a test disconnects."""

    def __contains__(self, sid):
        raise AssertionError(f"the disconnect of {sid} looked into a room it never joined")


def test_a_disconnect_visits_only_the_rooms_its_socket_joined(manager):
    # python-socketio walks every room of the namespace per disconnect: 1.4 ms at 20,000 sockets
    _connect(manager, "s1", "e1", "user:7", "staff", "order:3")
    _connect(manager, "s2", "e2", "user:8", "staff")
    manager.rooms["/"]["order:9"] = _Untouchable(s3="e3")
    manager.basic_leave_room("s1", "/", "staff")
    manager.basic_enter_room("s1", "/", "staff")  # joined again: listed once
    manager.basic_disconnect("s1", "/")
    assert set(manager.rooms["/"]) == {None, "s2", "user:8", "staff", "order:9"}
    assert list(manager.get_participants("/", "staff")) == [("s2", "e2")]
    assert list(manager.get_participants("/", ["user:8", "s2"])) == [("s2", "e2")]
    assert manager.sid_from_eio_sid("e1", "/") is None


def test_a_room_left_is_not_left_again_at_disconnect(manager):
    _connect(manager, "s1", "e1", "user:7", "staff")
    manager.basic_leave_room("s1", "/", "staff")  # a customer's employee flag removed (sockets.py)
    _connect(manager, "s2", "e2", "staff")
    manager.rooms["/"]["staff"] = _Untouchable(manager.rooms["/"]["staff"])
    manager.basic_disconnect("s1", "/")
    assert set(manager.rooms["/"]) == {None, "s2", "staff"}


def test_the_last_disconnect_empties_the_namespace(manager):
    _connect(manager, "s1", "e1", "user:7")
    _connect(manager, "s2", "e2", "user:7")
    manager.basic_disconnect("s1", "/")
    assert list(manager.get_participants("/", "user:7")) == [("s2", "e2")]
    manager.basic_disconnect("s2", "/")
    assert manager.rooms == {}


def test_disconnecting_a_socket_not_connected_here_changes_nothing(manager):
    _connect(manager, "s1", "e1", "user:7")
    manager.basic_disconnect("s9", "/")
    manager.basic_disconnect("s1", "/other")
    assert list(manager.get_participants("/", ["user:7", "s1"])) == [("s1", "e1")]
