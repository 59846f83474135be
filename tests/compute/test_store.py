from __future__ import annotations

import hashlib

import pytest

from yuzhi.compute.store import ArtifactStore
from yuzhi.errors import InvalidInput, NotFound


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = ArtifactStore(tmp_path)
    a = store.put_bytes(b"hello", name="a.txt")
    b = store.put_bytes(b"hello", name="b.txt")
    assert a.sha256 == b.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert (a.size, a.name, b.name) == (5, "a.txt", "b.txt")
    assert store.object_path(a.sha256).read_bytes() == b"hello"
    assert len(list((tmp_path / "objects").rglob("*"))) == 2  # one folder, one object


def test_put_file_streams(tmp_path):
    src = tmp_path / "img.bin"
    src.write_bytes(bytes(range(256)) * 10_000)
    art = ArtifactStore(tmp_path / "s").put_file(src)
    assert (art.name, art.size) == ("img.bin", 2_560_000)
    assert art.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_materialize_and_collect(tmp_path):
    store = ArtifactStore(tmp_path)
    data = store.put_bytes(b"1,2,3\n")
    d = store.materialize("job-1", {"data.csv": data.sha256})
    assert (d / "inputs" / "data.csv").read_bytes() == b"1,2,3\n"
    (d / "outputs" / "sub").mkdir()
    (d / "outputs" / "model.bin").write_bytes(b"weights")
    (d / "outputs" / "sub" / "report.txt").write_bytes(b"ok")
    outs = store.collect_outputs("job-1")
    assert [(o.name, o.size) for o in outs] == [("model.bin", 7), ("sub/report.txt", 2)]
    assert store.read_bytes(outs[0].sha256) == b"weights"


def test_missing_input_writes_nothing(tmp_path):
    store = ArtifactStore(tmp_path)
    ok = store.put_bytes(b"x")
    with pytest.raises(NotFound, match=r"input 'b\.csv' refers to artifact 0{12}… which is not in the store"):
        store.materialize("job-2", {"a.csv": ok.sha256, "b.csv": "0" * 64})
    assert not (tmp_path / "jobs" / "job-2").exists()


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ""])
def test_bad_names(tmp_path, name):
    store = ArtifactStore(tmp_path)
    ok = store.put_bytes(b"x")
    with pytest.raises(InvalidInput, match="not a plain file name"):
        store.materialize("job-3", {name: ok.sha256})


def test_bad_hash(tmp_path):
    with pytest.raises(InvalidInput, match="not a SHA-256"):
        ArtifactStore(tmp_path).read_bytes("abc")
