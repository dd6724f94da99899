"""A web process freezes its long-lived objects (sockets) out of the collector's walks: when, and that it does."""

from __future__ import annotations

import gc

import pytest

from novacart.server import FreezePolicy, tune_gc


def _policy(held: int = 0) -> FreezePolicy:
    return FreezePolicy(freeze_every=30, full_every=3600, growth=500, now=0.0, held=held)


def test_a_quiet_process_freezes_every_freeze_every_seconds():
    policy = _policy(held=100)
    assert [policy.action(now, 100) for now in (1, 29)] == [None, None]
    assert policy.action(30, 100) == "freeze"
    assert policy.action(31, 100) is None
    assert policy.action(60, 100) == "freeze"


def test_five_hundred_new_sockets_are_collected_and_frozen_at_once():
    policy = _policy(held=100)
    assert policy.action(1, 599) is None
    assert policy.action(2, 600) == "collect-and-freeze"
    assert policy.action(3, 700) is None  # counted from the last freeze
    assert policy.action(4, 1100) == "collect-and-freeze"
    assert policy.action(33, 1100) is None  # the timed freeze waits 30 s from the last freeze of either kind
    assert policy.action(34, 1100) == "freeze"


def test_sockets_that_left_make_room_for_new_ones():
    policy = _policy(held=10_000)
    assert policy.action(1, 4_000) is None  # a mass disconnect
    assert policy.action(2, 4_400) is None
    assert policy.action(3, 4_500) == "collect-and-freeze"


def test_everything_is_collected_in_full_every_full_every_seconds():
    policy = FreezePolicy(freeze_every=30, full_every=90, growth=500, now=0.0, held=0)
    assert [policy.action(now, 0) for now in (30, 60, 90, 120)] == ["freeze", "freeze", "full", "freeze"]


@pytest.fixture
def restore_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class _Stop(Exception):
    pass


def test_tune_gc_freezes_when_the_sockets_grow(restore_gc):
    class Settings:
        GC_TUNING, GC_GEN0_THRESHOLD, GC_FREEZE_SECONDS, GC_FULL_SECONDS = True, 50_000, 3600, 7200

    tasks, held, frozen = [], [0], []

    def sleep(_seconds):
        frozen.append(gc.get_freeze_count())
        if len(frozen) == 3:
            raise _Stop
        held[0] += 1_000  # sockets connected meanwhile
        gc.unfreeze()  # so that the next freeze is seen

    tune_gc(Settings, tasks.append, sleep, lambda: held[0])
    assert gc.get_freeze_count() > 0 and gc.get_threshold() == (50_000, 20, 20)
    with pytest.raises(_Stop):
        tasks[0]()
    assert frozen[1] > 0 and frozen[2] > 0  # frozen after each check that found 1,000 more sockets


def test_gc_tuning_off_leaves_the_collector_alone(restore_gc):
    class Settings:
        GC_TUNING = False

    tasks, before = [], gc.get_threshold()
    tune_gc(Settings, tasks.append, lambda _: None)
    assert tasks == [] and gc.get_threshold() == before and gc.get_freeze_count() == 0
