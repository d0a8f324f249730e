"""textFile / wholeTextFiles / saveAsTextFile against Hadoop's TextInputFormat and PySpark's output.

Hadoop's FileInputFormat makes splits of ``max(1, min(total // minPartitions, blockSize))``
bytes (the last one up to 10% larger); LineRecordReader gives a split every line that starts
at or before its end, and a split not at offset 0 skips the line it starts in.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import fsspec
import pytest

from dstreams import Context, InputPathNotFoundError, OutputPathExistsError
from dstreams.files import FileSlice, compute_splits


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


# -- splits ----------------------------------------------------------------------------------------
def test_compute_splits_follow_file_input_format() -> None:
    assert compute_splits([("f", 100)], 3) == [FileSlice("f", 0, 33, 100), FileSlice("f", 33, 33, 100),
                                              FileSlice("f", 66, 34, 100)]  # 34/33 < 1.1: one split
    assert [s.length for s in compute_splits([("f", 10)], 100)] == [1] * 10
    assert compute_splits([("f", 0), ("g.gz", 0)], 2) == []  # Spark >= 3.2 ignores empty splits
    assert compute_splits([("f.gz", 1000)], 4) == [FileSlice("f.gz", 0, -1, 1000)]  # not splittable
    two = compute_splits([("a", 54), ("b", 46)], 2)  # goal 50 from the total of both files
    assert [(s.path, s.start, s.length) for s in two] == [("a", 0, 54), ("b", 0, 46)]
    two = compute_splits([("a", 60), ("b", 40)], 2)  # 60 / 50 > 1.1: a is split
    assert [(s.path, s.start, s.length) for s in two] == [("a", 0, 50), ("a", 50, 10), ("b", 0, 40)]


def test_text_file_single_line(ctx: Context, tmp_path: Path) -> None:
    p = _write(tmp_path / "hello.txt", b"Hello world!")
    assert ctx.textFile(p).collect() == ["Hello world!"]


def test_line_starting_exactly_at_a_split_end_belongs_to_the_earlier_split(ctx: Context,
                                                                            tmp_path: Path) -> None:
    p = _write(tmp_path / "f.txt", b"ab\ncd\nef\ngh\n")  # 12 bytes -> 4 splits of 3
    rdd = ctx.textFile(p, 4)
    assert rdd.getNumPartitions() == 4
    assert rdd.glom().collect() == [["ab", "cd"], ["ef"], ["gh"], []]


def test_line_crossing_split_boundaries(ctx: Context, tmp_path: Path) -> None:
    p = _write(tmp_path / "f.txt", b"abcdefgh\nij\n")  # 12 bytes -> 4 splits of 3
    assert ctx.textFile(p, 4).glom().collect() == [["abcdefgh"], [], ["ij"], []]


def test_crlf_split_between_cr_and_lf(ctx: Context, tmp_path: Path) -> None:
    p = _write(tmp_path / "f.txt", b"abc\r\ndef\n")  # 9 bytes -> splits [0,4) [4,8) [8,9)
    assert ctx.textFile(p, 2).glom().collect() == [["abc"], ["def"], []]


def test_line_terminators(ctx: Context, tmp_path: Path) -> None:
    assert ctx.textFile(_write(tmp_path / "lf", b"a\nb\n")).collect() == ["a", "b"]
    assert ctx.textFile(_write(tmp_path / "no-final", b"a\nb")).collect() == ["a", "b"]
    assert ctx.textFile(_write(tmp_path / "crlf", b"a\r\nb\r\n")).collect() == ["a", "b"]
    assert ctx.textFile(_write(tmp_path / "cr", b"a\rb\r")).collect() == ["a", "b"]  # lone CR ends a line
    assert ctx.textFile(_write(tmp_path / "blank", b"\n\na\n\n")).collect() == ["", "", "a", ""]
    assert ctx.textFile(_write(tmp_path / "mixed", b"a\r\r\nb\n\rc")).collect() == ["a", "", "b", "", "c"]


def test_lines_survive_any_number_of_partitions(ctx: Context, tmp_path: Path) -> None:
    lines = [f"line {i} " + "x" * (i % 13) for i in range(500)]
    p = _write(tmp_path / "many.txt", ("\n".join(lines) + "\n").encode())
    for n in (1, 2, 7, 37, 300):
        rdd = ctx.textFile(p, n)
        assert rdd.getNumPartitions() >= n
        assert rdd.collect() == lines
    assert ctx.textFile(p, 37).count() == 500


def test_multibyte_characters_across_boundaries(ctx: Context, tmp_path: Path) -> None:
    lines = ["héllo", "wörld", "日本語のテキスト", "ok", "€uro"]
    p = _write(tmp_path / "utf8.txt", "\n".join(lines).encode("utf-8"))
    for n in range(1, 12):
        assert ctx.textFile(p, n).collect() == lines


def test_use_unicode_false_yields_bytes(ctx: Context, tmp_path: Path) -> None:
    p = _write(tmp_path / "b.txt", "a\né\n".encode())
    assert ctx.textFile(p, use_unicode=False).collect() == [b"a", "é".encode()]


def test_empty_files(ctx: Context, tmp_path: Path) -> None:
    p = _write(tmp_path / "empty.txt", b"")
    assert ctx.textFile(p).collect() == []
    assert ctx.textFile(p).count() == 0
    assert ctx.textFile(p).getNumPartitions() == 0
    _write(tmp_path / "d" / "a.txt", b"")
    _write(tmp_path / "d" / "b.txt", b"x\n")
    assert ctx.textFile(str(tmp_path / "d"), 1).glom().collect() == [["x"]]  # no partition for a.txt


def test_gzip_files_are_read_whole(ctx: Context, tmp_path: Path) -> None:
    lines = [f"row {i}" for i in range(1000)]
    p = _write(tmp_path / "data.txt.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
    rdd = ctx.textFile(p, 4)
    assert rdd.getNumPartitions() == 1  # gzip is not splittable
    assert rdd.collect() == lines


def test_directories_skip_hidden_files(ctx: Context, tmp_path: Path) -> None:
    d = tmp_path / "in"
    _write(d / "b.txt", b"b1\nb2\n")
    _write(d / "a.txt", b"a1\n")
    _write(d / "c.txt.gz", gzip.compress(b"c1\n"))
    _write(d / "_SUCCESS", b"")
    _write(d / ".a.txt.crc", b"junk\n")
    _write(d / "_temporary" / "0" / "part-00000", b"junk\n")
    _write(d / ".hidden" / "x.txt", b"junk\n")
    assert ctx.textFile(str(d)).collect() == ["a1", "b1", "b2", "c1"]
    assert ctx.textFile(str(d) + "/").collect() == ["a1", "b1", "b2", "c1"]


def test_globs_and_comma_separated_lists(ctx: Context, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.txt", b"a\n")
    b = _write(tmp_path / "b.txt", b"b\n")
    _write(tmp_path / "c.log", b"c\n")
    _write(tmp_path / "_hidden.txt", b"junk\n")
    _write(tmp_path / ".dot.txt", b"junk\n")
    assert ctx.textFile(str(tmp_path / "*.txt")).collect() == ["a", "b"]  # hidden names skipped
    assert ctx.textFile(str(tmp_path / "*")).collect() == ["a", "b", "c"]
    assert ctx.textFile(f"{b},{a}").collect() == ["b", "a"]
    assert ctx.textFile(str(tmp_path / "[ab].txt") + "," + str(tmp_path / "c.log")).collect() == ["a", "b", "c"]


def test_file_urls_and_other_fsspec_filesystems(ctx: Context, tmp_path: Path) -> None:
    p = _write(tmp_path / "u.txt", b"one\ntwo\n")
    assert ctx.textFile("file://" + p).collect() == ["one", "two"]
    with fsspec.open("memory://dstreams-unit/m.txt", "wb") as f:
        f.write(b"m1\nm2\n")
    try:
        assert ctx.textFile("memory://dstreams-unit/m.txt", 3).collect() == ["m1", "m2"]
    finally:
        fsspec.filesystem("memory").rm("/dstreams-unit", recursive=True)


def test_missing_input_is_reported_with_the_path(ctx: Context, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.txt")
    with pytest.raises(InputPathNotFoundError, match="nope.txt"):
        ctx.textFile(missing).collect()
    with pytest.raises(FileNotFoundError):
        ctx.textFile(str(tmp_path / "*.csv")).count()



@pytest.mark.parametrize("binary", [False, True])
def test_ignore_missing_skips_files_gone_before_listing_or_reading(ctx: Context, tmp_path: Path, binary: bool,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    from dstreams.rdd_impl import BinaryRecordsRDD, TextFileRDD

    def make(path: str, ignore: bool):
        if binary:
            return BinaryRecordsRDD(ctx, path, 3, ignore_missing=ignore)
        return TextFileRDD(ctx, path, 2, ignore_missing=ignore)

    caplog.set_level("WARNING", logger="dstreams")
    never = str(tmp_path / "never.txt")
    assert make(never, True).collect() == []
    with pytest.raises(InputPathNotFoundError, match="never.txt"):
        make(never, False).collect()
    for ignore in (True, False):  # listed (its partitions are known), then deleted before a task reads it
        rdd = make(_write(tmp_path / f"late-{ignore}.txt", b"ab\ncd\n"), ignore)
        assert rdd.getNumPartitions() >= 1
        os.remove(tmp_path / f"late-{ignore}.txt")
        if ignore:
            assert rdd.collect() == []
        else:
            with pytest.raises(FileNotFoundError):
                rdd.collect()
    skipped = [r.getMessage() for r in caplog.records if "skipped missing input file" in r.getMessage()]
    assert any("never.txt" in m for m in skipped) and any("late-True.txt" in m for m in skipped), skipped

# -- wholeTextFiles --------------------------------------------------------------------------------
def test_whole_text_files(ctx: Context, tmp_path: Path) -> None:
    d = tmp_path / "w"
    _write(d / "1.txt", b"1")
    _write(d / "2.txt", b"two\nlines\n")
    _write(d / "_SUCCESS", b"")
    out = sorted(ctx.wholeTextFiles(str(d)).collect())
    assert out == [("file:" + str(d / "1.txt"), "1"), ("file:" + str(d / "2.txt"), "two\nlines\n")]
    assert ctx.wholeTextFiles(str(d), 5).getNumPartitions() <= 2
    with pytest.raises(InputPathNotFoundError, match="absent"):
        ctx.wholeTextFiles(str(tmp_path / "absent")).collect()


# -- saveAsTextFile --------------------------------------------------------------------------------
def test_save_as_text_file_part_files(ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ctx.parallelize(range(10), 2).saveAsTextFile(str(out))
    assert sorted(os.listdir(out)) == ["_SUCCESS", "part-00000", "part-00001"]
    assert (out / "part-00000").read_bytes() == b"0\n1\n2\n3\n4\n"
    assert (out / "part-00001").read_bytes() == b"5\n6\n7\n8\n9\n"
    assert (out / "_SUCCESS").read_bytes() == b""


def test_save_as_text_file_formats_elements_like_pyspark(ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ctx.parallelize(["", "foo", "", "bar", ""], 1).saveAsTextFile(str(out))
    assert (out / "part-00000").read_bytes() == b"\nfoo\n\nbar\n\n"
    out2 = tmp_path / "out2"
    ctx.parallelize([("a", 1), None, 1.5, "é", b"raw", [1, 2]], 3).saveAsTextFile(str(out2))
    assert (out2 / "part-00000").read_bytes() == b"('a', 1)\nNone\n"
    assert (out2 / "part-00001").read_bytes() == "1.5\né\n".encode()
    assert (out2 / "part-00002").read_bytes() == b"raw\n[1, 2]\n"


def test_save_as_text_file_writes_empty_partitions(ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ctx.parallelize([1], 3).saveAsTextFile(str(out))
    assert sorted(os.listdir(out)) == ["_SUCCESS", "part-00000", "part-00001", "part-00002"]
    assert [(out / f"part-0000{i}").read_bytes() for i in range(3)] == [b"", b"", b"1\n"]


def test_save_as_text_file_refuses_an_existing_directory(ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "exists"
    out.mkdir()
    with pytest.raises(OutputPathExistsError, match="exists"):
        ctx.parallelize([1]).saveAsTextFile(str(out))
    with pytest.raises(FileExistsError):
        ctx.parallelize([1]).saveAsTextFile(str(out))
    assert os.listdir(out) == []


def test_save_then_read_back(ctx: Context, tmp_path: Path) -> None:
    out = str(tmp_path / "rt")
    words = ctx.parallelize(["a b", "c", "d e f"], 2).flatMap(str.split)
    words.saveAsTextFile(out)
    assert ctx.textFile(out).collect() == ["a", "b", "c", "d", "e", "f"]  # _SUCCESS is skipped


def test_save_as_gzip_text_file(ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "gz"
    ctx.parallelize(["x", "y"], 2).saveAsTextFile(str(out), "org.apache.hadoop.io.compress.GzipCodec")
    assert sorted(os.listdir(out)) == ["_SUCCESS", "part-00000.gz", "part-00001.gz"]
    assert gzip.decompress((out / "part-00001.gz").read_bytes()) == b"y\n"
    assert ctx.textFile(str(out)).collect() == ["x", "y"]


def test_save_retried_task_leaves_no_temporary_files(ctx: Context, tmp_path: Path) -> None:
    from dstreams import TaskContext

    def flaky(x: int) -> int:
        if TaskContext.get().attemptNumber() == 0:
            raise RuntimeError("transient")
        return x

    out = tmp_path / "retry"
    ctx.parallelize([1, 2], 2).map(flaky).saveAsTextFile(str(out))
    assert sorted(os.listdir(out)) == ["_SUCCESS", "part-00000", "part-00001"]
    assert (out / "part-00001").read_bytes() == b"2\n"


def test_whole_text_files_decompresses_by_extension(ctx: Context, tmp_path: Path) -> None:
    d = tmp_path / "gz"
    _write(d / "a.txt.gz", gzip.compress("héllo\n".encode()))
    assert ctx.wholeTextFiles(str(d)).collect() == [("file:" + str(d / "a.txt.gz"), "héllo\n")]
    raw = ctx.binaryFiles(str(d)).collect()
    assert raw == [("file:" + str(d / "a.txt.gz"), (d / "a.txt.gz").read_bytes())]  # binaryFiles: raw bytes


def test_lines_read_a_piece_at_a_time_match_a_whole_read(tmp_path, monkeypatch):
    """read_lines decodes a split in pieces cut after a \\n: with tiny pieces the lines (CR, LF,
    CRLF, multi-byte characters, no final terminator) are the same as the regex split of the text."""
    import random
    import re

    import fsspec

    from dstreams import files

    monkeypatch.setattr(files, "LINE_CHUNK", 5)
    fs = fsspec.filesystem("file")
    rng = random.Random(3)
    path = tmp_path / "t.txt"
    for _ in range(200):
        text = "".join("".join(rng.choice("ab é") for _ in range(rng.randint(0, 9))) + rng.choice(["\n", "\r\n", "\r"])
                       for _ in range(rng.randint(0, 20)))
        if rng.random() < 0.5:
            text += "tail"
        path.write_bytes(text.encode())
        expected = re.split(r"\r\n|\r|\n", text)
        if expected[-1] == "":
            expected.pop()
        size = path.stat().st_size
        for n in (1, 3):
            got = [line for s in files.compute_splits([(str(path), size)], n) for line in files.read_lines(fs, s)]
            assert got == expected, (text, n)
            raw = [line for s in files.compute_splits([(str(path), size)], n) for line in files.read_lines(fs, s, None)]
            assert raw == [e.encode() for e in expected]
