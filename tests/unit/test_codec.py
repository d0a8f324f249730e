"""How blocks and shuffle buckets are stored in Redis: pickles as they are, or compressed behind a tag."""
from __future__ import annotations

import pickle

import pytest

from dstreams.storage.redis_store import Codec


def test_plain_pickles_are_stored_without_a_copy_and_read_back():
    data = pickle.dumps(list(range(5000)), protocol=5)
    stored = Codec("none").encode(data)
    assert stored is data
    assert Codec.decode(stored) is stored


def test_values_stored_by_earlier_versions_with_the_plain_tag_still_decode():
    data = pickle.dumps(["a"] * 10, protocol=5)
    assert Codec.decode(b"\x00" + data) == data


@pytest.mark.parametrize("name", ["lz4", "zstd"])
def test_compressed_values_round_trip_and_small_ones_stay_plain(name):
    big = pickle.dumps(["word"] * 20000, protocol=5)
    codec = Codec(name)
    stored = codec.encode(big)
    assert stored[:1] in (b"\x01", b"\x02") and len(stored) < len(big)
    assert Codec.decode(stored) == big
    small = pickle.dumps([1], protocol=5)
    assert codec.encode(small) is small


def test_unknown_codec_names_the_choices():
    with pytest.raises(ValueError, match="none, lz4 or zstd"):
        Codec("snappy")
