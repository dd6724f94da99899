"""The gevent web process's per-socket queue keeps engine.io's queue contract (novacart/sockqueue.py)."""

from __future__ import annotations

import engineio
import gevent
import pytest
from engineio.async_drivers import gevent as gevent_driver
from gevent.queue import Empty

from novacart.sockqueue import SocketQueue, install


def test_items_leave_in_the_order_they_came():
    queue = SocketQueue()
    for item in ("open", "ping", None):
        queue.put(item)
    assert [queue.get(), queue.get(timeout=1), queue.get(block=False)] == ["open", "ping", None]
    assert queue.empty() and queue.qsize() == 0


def test_a_waiting_writer_wakes_for_the_next_packet():
    # given a writer waiting for its socket's next packet
    queue = SocketQueue()
    writer = gevent.spawn(queue.get, timeout=10)
    gevent.sleep(0)  # the writer is now blocked in get()
    assert not writer.ready()
    # when a packet is queued, then the writer gets it
    queue.put("message")
    assert writer.get(timeout=5) == "message"


def test_nothing_to_send_is_empty_at_once_or_after_the_timeout():
    queue = SocketQueue()
    with pytest.raises(Empty):
        queue.get(block=False)
    with pytest.raises(Empty):
        queue.get(timeout=0.01)
    queue.put("late")  # what comes after a timeout is still delivered
    assert queue.get_nowait() == "late"


def test_join_waits_until_every_packet_is_marked_done():
    queue = SocketQueue()
    assert queue.join() is True  # nothing put: nothing to wait for
    queue.put("a")
    queue.put("b")
    assert queue.join(timeout=0.01) is False
    closer = gevent.spawn(queue.join)
    queue.get()
    queue.task_done()
    gevent.sleep(0)
    assert not closer.ready()  # one packet still unfinished
    queue.get()
    queue.task_done()
    assert closer.get(timeout=5) is True
    with pytest.raises(ValueError):
        queue.task_done()


def test_a_gevent_server_gives_its_sockets_the_small_queue_and_leaves_the_driver_alone():
    server = engineio.Server(async_mode="gevent")
    install(server)
    assert isinstance(server.create_queue(), SocketQueue)
    assert server.get_queue_empty_exception() is Empty
    assert gevent_driver._async["queue"] is not SocketQueue  # another server of the process is unaffected
    with pytest.raises(ValueError):
        install(engineio.Server(async_mode="threading"))
