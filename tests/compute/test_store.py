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
    assert [(o.name, o.size) for o in outs[:2]] == [("model.bin", 7), ("sub/report.txt", 2)]
    assert [o.name for o in outs[2:]] == ["sub.zip"]  # each output folder also as one zip
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


def test_zip_input_becomes_a_folder_and_output_folders_come_back_zipped(tmp_path):
    import io
    import zipfile

    store = ArtifactStore(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.png", b"A")
        zf.writestr("sub/b.png", b"BB")
    art = store.put_bytes(buf.getvalue())
    d = store.materialize("job-z", {"images.zip": art.sha256})
    assert (d / "inputs" / "images" / "a.png").read_bytes() == b"A"
    assert (d / "inputs" / "images" / "sub" / "b.png").read_bytes() == b"BB"
    (d / "outputs" / "model").mkdir()
    (d / "outputs" / "model" / "w.bin").write_bytes(b"123")
    names = [(o.name, o.size) for o in store.collect_outputs("job-z")]
    assert names[0] == ("model/w.bin", 3) and names[1][0] == "model.zip"
    again = store.collect_outputs("job-z")  # deterministic zip: the same bytes, the same hash
    assert again[1].sha256 == store.collect_outputs("job-z")[1].sha256
    with zipfile.ZipFile(store.object_path(again[1].sha256)) as zf:
        assert zf.namelist() == ["w.bin"]


def test_zip_slip_is_refused(tmp_path):
    import io
    import zipfile

    store = ArtifactStore(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil.sh", b"x")
    art = store.put_bytes(buf.getvalue())
    with pytest.raises(InvalidInput, match="would land outside its folder"):
        store.materialize("job-s", {"x.zip": art.sha256})
    assert not (tmp_path / "evil.sh").exists()
    with pytest.raises(InvalidInput, match="is not a zip archive"):
        store.materialize("job-t", {"y.zip": store.put_bytes(b"plain").sha256})
