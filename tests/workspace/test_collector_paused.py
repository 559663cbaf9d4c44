"""The worklist pauses Python's cyclic garbage collector while it ranks tens of thousands of accounts
(see `workspace.worklist._collector_paused`), and always gives it back as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dunmore.workspace.worklist import _collector_paused


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_off_inside_and_on_again_after() -> None:
    gc.enable()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_a_failure_inside_gives_the_collector_back() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("ranking failed")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    with _collector_paused():
        pass
    assert not gc.isenabled()
