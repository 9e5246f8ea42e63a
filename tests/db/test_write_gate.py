"""The SQLite write gate hands the GIL over quickly while a thread holds or waits for it, and
gives the process its own switch interval back when no writer is left, even on a time-out."""

import sqlite3
import sys
import threading

import pytest

from quizapp.db import WriteGate, writer_first


@pytest.fixture()
def interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield 0.005
    sys.setswitchinterval(before)


def test_the_interval_is_short_while_a_writer_holds_the_gate(tmp_path, interval):
    gate = WriteGate(str(tmp_path / "db.sqlite"), timeout=2)
    assert sys.getswitchinterval() == interval
    gate.acquire()
    assert sys.getswitchinterval() == writer_first.fast
    gate.release()
    assert sys.getswitchinterval() == interval


def test_it_stays_short_until_the_last_writer_is_done(tmp_path, interval):
    gate = WriteGate(str(tmp_path / "db.sqlite"), timeout=5)
    gate.acquire()
    waiting, done = threading.Event(), threading.Event()

    def second_writer():
        waiting.set()
        gate.acquire()  # waits for the first writer
        gate.release()
        done.set()

    t = threading.Thread(target=second_writer)
    t.start()
    waiting.wait(2)
    gate.release()
    assert done.wait(5)
    t.join()
    assert sys.getswitchinterval() == interval


def test_a_time_out_gives_the_interval_back(tmp_path, interval):
    gate = WriteGate(str(tmp_path / "db.sqlite"), timeout=0.05)
    other = WriteGate(str(tmp_path / "db.sqlite"), timeout=0.05)  # another process's view
    other._pid = -1  # its own descriptor, as a forked worker would have
    gate.acquire()
    with pytest.raises(sqlite3.OperationalError, match="write gate"):
        other.acquire()  # the file lock is held by `gate`'s descriptor
    assert sys.getswitchinterval() == writer_first.fast  # `gate` still holds it
    gate.release()
    assert sys.getswitchinterval() == interval
