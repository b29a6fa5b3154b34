"""The store is compacted once a tenth of it was written since the last time, not every build.

A full compaction rewrites the whole store (15 s at 10,000 releases), so adding one release
must not pay it; the graphs written since the last compaction are counted beside the store.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.store.compaction import after_writes, counter_path


def test_compaction_waits_for_a_tenth_of_the_store(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store = ox.Store(str(store_dir))
    said: list[str] = []
    # 35 graphs held: 3 written (3 x 10 = 30 < 35) wait, the 4th makes 40 >= 35
    for written, held in ((1, 33), (1, 34), (1, 35)):
        assert (
            after_writes(store, store_dir, written=written, held=held, progress=said.append)
            is False
        )
    assert counter_path(store_dir).read_text(encoding="ascii") == "3\n"
    assert said == []
    assert after_writes(store, store_dir, written=1, held=36, progress=said.append) is True
    assert said == ["compacted the store (4 graphs written since the last compaction)"]
    assert not counter_path(store_dir).exists()
    # a build from nothing writes every graph it holds: compacted at once
    assert after_writes(store, store_dir, written=50, held=50, progress=said.append) is True


def test_a_lost_or_garbled_counter_only_delays_compaction(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store = ox.Store(str(store_dir))
    counter_path(store_dir).write_text("not a number\n", encoding="ascii")
    assert after_writes(store, store_dir, written=2, held=100, progress=print) is False
    assert counter_path(store_dir).read_text(encoding="ascii") == "2\n"
