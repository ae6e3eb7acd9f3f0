"""mg.save / mg.load when things go wrong: refused objects (named with where they
sit), atomic writes under injected failures and a killed writer, and
mg.SerializationError for truncated, corrupt, foreign and hostile files."""
import collections
import io
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib

import numpy as np
import pytest

import minigrad as mg
import minigrad.serialization as ser
from minigrad import nn, optim


# ------------------------------------------------------------ refused objects
def test_a_module_is_refused_with_a_pointer_to_state_dict(tmp_path):
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"obj is a Linear.*model\.state_dict\(\)"):
        mg.save(model, tmp_path / "m.npz")
    with pytest.raises(TypeError, match=r"obj\['model'\] is a Linear.*state_dict\(\)"):
        mg.save({"model": model, "epoch": 1}, tmp_path / "m.npz")
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"obj\['optim'\] is a SGD.*state_dict\(\)"):
        mg.save({"optim": opt}, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("obj, match", [
    ({"optim": {"state": {0: {"step": object()}}}},
     r"obj\['optim'\]\['state'\]\[0\]\['step'\], a object"),
    ([1, (2, {3, 4})], r"obj\[1\]\[1\], a set"),
    ({"a": [np.array(["s"])]}, r"obj\['a'\]\[0\] is not a numeric array \(dtype <U1\)"),
    ({"a": mg.ones(2).data.astype(np.complex64)}, r"obj\['a'\] is not a numeric"),
    ({1.5: np.ones(1)}, r"keys of obj must be str or int, got float 1\.5"),
    ({"a": {(1, 2): 3}}, r"keys of obj\['a'\] must be str or int, got tuple"),
    ({"p": collections.namedtuple("P", "x")(1)}, r"obj\['p'\] is a P.*plain tuple"),
    ({"m": np.ma.masked_array([1.0])}, r"obj\['m'\], a MaskedArray"),
])
def test_unsupported_objects_name_type_and_place(obj, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        mg.save(obj, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_a_structure_holding_itself_is_refused():
    loop = [1]
    loop.append({"again": loop})
    with pytest.raises(TypeError, match=r"obj\[1\]\['again'\] contains itself"):
        mg.save(loop, io.BytesIO())
    shared = [0]
    mg.save([shared, shared], io.BytesIO())          # reached twice is not a cycle


def test_bad_file_arguments():
    with pytest.raises(TypeError, match="binary mode"):
        mg.save({"a": np.ones(1)}, io.StringIO())
    with pytest.raises(TypeError, match="binary mode"):
        mg.load(io.StringIO())
    with pytest.raises(TypeError, match="path or a binary file object, got int"):
        mg.save({"a": np.ones(1)}, 3)
    with pytest.raises(TypeError, match="path or a binary file object, got float"):
        mg.load(2.0)

    class Stream(io.RawIOBase):
        def readable(self):
            return True
    with pytest.raises(TypeError, match="seekable"):
        mg.load(Stream())


# ------------------------------------------------------------ atomic writes
OLD = {"w": np.arange(3.0), "epoch": 1}
NEW = {"w": np.ones(5), "b": mg.zeros(2), "t": (np.zeros(1), np.ones(1)), "epoch": 2}


def _fail_at(monkeypatch, target, attr, n):
    """Make ``target.attr`` raise on its ``n``-th call (1-based)."""
    real, calls = getattr(target, attr), []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise OSError("injected failure")
        return real(*args, **kwargs)
    monkeypatch.setattr(target, attr, failing)


@pytest.mark.parametrize("target, attr, n", [
    (ser, "_write_member", 1), (ser, "_write_member", 2), (ser, "_write_member", 4),
    (ser, "_write_member", 5), (os, "fsync", 1), (os, "replace", 1), (os, "chmod", 1)])
def test_a_failed_save_leaves_the_previous_file_intact(target, attr, n, tmp_path,
                                                       monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save(OLD, path)
    _fail_at(monkeypatch, target, attr, n)
    with pytest.raises(OSError, match="injected"):
        mg.save(NEW, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]                 # no temporary left
    back = mg.load(path)
    assert back["epoch"] == 1
    np.testing.assert_array_equal(back["w"], OLD["w"])
    mg.save(NEW, path)                                          # and a retry works
    assert mg.load(path)["epoch"] == 2


class _FailingFile:
    """A file proxy whose ``fail_at``-th ``write`` raises (0: never); counts writes."""

    def __init__(self, fh, fail_at):
        self._fh, self.fail_at, self.writes = fh, fail_at, 0

    def write(self, data):
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError(f"injected failure at write {self.writes}")
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _inject_write_failure(monkeypatch, fail_at):
    real, seen = ser._write_archive, []

    def write_archive(fh, members):
        proxy = _FailingFile(fh, fail_at)
        seen.append(proxy)
        real(proxy, members)
    monkeypatch.setattr(ser, "_write_archive", write_archive)
    return seen


def test_a_failure_at_every_single_write_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save(OLD, path)
    seen = _inject_write_failure(monkeypatch, 0)
    mg.save(NEW, tmp_path / "count.npz")                        # count the writes of a save
    monkeypatch.undo()
    os.unlink(tmp_path / "count.npz")
    total = seen[0].writes
    assert total > 10
    for k in range(1, total + 1):
        _inject_write_failure(monkeypatch, k)
        with pytest.raises(OSError, match=f"at write {k}$"):
            mg.save(NEW, path)
        monkeypatch.undo()
        assert os.listdir(tmp_path) == ["ckpt.npz"], k           # no temporary left
        assert mg.load(path)["epoch"] == 1, k
    mg.save(NEW, path)
    assert mg.load(path)["epoch"] == 2


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    _fail_at(monkeypatch, ser, "_write_member", 2)
    with pytest.raises(OSError):
        mg.save(NEW, tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


def test_overwriting_keeps_the_file_mode_and_writes_through_links(tmp_path):
    path = tmp_path / "c.npz"
    mg.save(OLD, path)
    os.chmod(path, 0o640)
    link = tmp_path / "link.npz"
    link.symlink_to(path)
    mg.save(NEW, link)
    assert link.is_symlink() and (path.stat().st_mode & 0o777) == 0o640
    assert mg.load(path)["epoch"] == 2


def test_killing_the_writer_mid_save_leaves_old_or_new(tmp_path):
    path = tmp_path / "big.npz"
    child = textwrap.dedent(f"""
        import numpy as np, minigrad as mg, sys
        big = np.zeros(4_000_000)
        n = 0
        while True:
            n += 1
            mg.save({{"n": n, "big": big + n}}, {str(path)!r})
            if n == 1:
                print("saved", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saved"
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    back = mg.load(path)
    assert back["n"] >= 1 and back["big"].shape == (4_000_000,)
    assert back["big"][0] == back["big"][-1] == back["n"]


# ------------------------------------------------------------- unreadable files
def _npy(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _zip(path, members):
    """A zip at ``path`` with raw ``name: bytes`` entries."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _structured(path, root, version=1, arrays=()):
    text = json.dumps({"format": "minigrad", "version": version, "root": root})
    members = {f"arr_{i}.npy": _npy(a) for i, a in enumerate(arrays)}
    members["__minigrad__.npy"] = _npy(np.frombuffer(text.encode(), np.uint8))
    return _zip(path, members)


def _huge_header(shape):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(8)


def _raw(p, data):
    p.write_bytes(data)
    return p


# name -> a function writing such a file at the given path and returning the path
HOSTILE = {
    "random bytes": lambda p: _raw(p, os.urandom(200)),
    "empty file": lambda p: _raw(p, b""),
    "a plain .npy": lambda p: _raw(p, _npy(np.ones(3))),
    "a text member": lambda p: _zip(p, {"readme.txt": b"hi"}),
    "an object array": lambda p: _zip(p, {"a.npy": _npy(np.array([{"x": 1}]))}),
    "a structured dtype": lambda p: _zip(p, {"a.npy": _npy(np.zeros(2, "i4,f8"))}),
    "a huge declared shape": lambda p: _zip(p, {"a.npy": _huge_header((2**40,))}),
    "a short member": lambda p: _zip(p, {"a.npy": _npy(np.ones(4))[:-8]}),
    "bad JSON": lambda p: _zip(p, {"__minigrad__.npy": _npy(
        np.frombuffer(b"{not json", np.uint8))}),
    "a non-uint8 structure": lambda p: _zip(p, {"__minigrad__.npy": _npy(np.ones(2))}),
    "a newer version": lambda p: _structured(p, None, version=2),
    "an unknown node": lambda p: _structured(p, {"type": "set", "items": []}),
    "a missing member": lambda p: _structured(p, {"type": "array", "member": "arr_7"}),
    "a bad dict entry": lambda p: _structured(p, {"type": "dict", "items": [[1.5, 2]]}),
    "a bad requires_grad": lambda p: _structured(
        p, {"type": "tensor", "member": "arr_0", "requires_grad": 1}, arrays=[np.ones(1)]),
    "an integer tensor requiring grad": lambda p: _structured(
        p, {"type": "tensor", "member": "arr_0", "requires_grad": True},
        arrays=[np.ones(1, np.int64)]),
    "a member named twice": lambda p: _structured(
        p, {"type": "list", "items": [{"type": "array", "member": "arr_0"}] * 2},
        arrays=[np.ones(2)]),
    "a non-0-d scalar": lambda p: _structured(
        p, {"type": "scalar", "member": "arr_0"}, arrays=[np.ones(2)]),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_raise_serialization_error_naming_the_file(case, tmp_path):
    path = HOSTILE[case](tmp_path / "bad.npz")
    with pytest.raises(mg.SerializationError, match=r"bad\.npz") as info:
        mg.load(path)
    assert isinstance(info.value, ValueError)
    with open(path, "rb") as fh:                                 # an open file: its name
        with pytest.raises(mg.SerializationError, match=r"bad\.npz"):
            mg.load(fh)
    with pytest.raises(mg.SerializationError, match="<BytesIO>"):
        mg.load(io.BytesIO(path.read_bytes()))


def test_messages_say_what_is_wrong(tmp_path):
    for case, match in [("an object array", "pickle"), ("a huge declared shape",
                        r"declares shape \(1099511627776,\)"), ("a newer version",
                        "version 2"), ("a text member", "readme.txt"),
                        ("a plain .npy", "not an .npz")]:
        with pytest.raises(mg.SerializationError, match=match):
            mg.load(HOSTILE[case](tmp_path / "bad.npz"))


def _valid_bytes():
    buf = io.BytesIO()
    mg.save({"model": {"w": mg.randn(40, 3)}, "optim": {"state": {0: {"m": np.ones(9)}}},
             "epoch": 3}, buf)
    return buf.getvalue()


def test_every_truncation_raises_serialization_error(tmp_path):
    data = _valid_bytes()
    path = tmp_path / "cut.npz"
    for cut in range(0, len(data), 37):
        path.write_bytes(data[:cut])
        with pytest.raises(mg.SerializationError, match=r"cut\.npz"):
            mg.load(path)


def test_flipped_bytes_never_load_silently_wrong(tmp_path):
    data = _valid_bytes()
    good = mg.load(io.BytesIO(data))
    rng = np.random.default_rng(0)
    for pos in rng.choice(len(data), size=60, replace=False):
        bad = bytearray(data)
        bad[pos] ^= 0xFF
        try:
            back = mg.load(io.BytesIO(bytes(bad)))
        except mg.SerializationError:
            continue
        # (a flip in zip metadata that nothing reads may load: then it loads right)
        np.testing.assert_array_equal(back["model"]["w"].data, good["model"]["w"].data)
        np.testing.assert_array_equal(back["optim"]["state"][0]["m"],
                                      good["optim"]["state"][0]["m"])
        assert back["epoch"] == 3


def test_a_missing_path_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope.npz")


def _overlapping_zip(n_b=100_000):
    """Two stored members, A's data quoting all of B's member: B's bytes counted twice
    (the overlap trick of zip bombs: each member is small, together more than the file)."""
    def local(name, crc, n):
        return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, n, n,
                           len(name), 0) + name

    def central(name, crc, n, offset):
        return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, n, n,
                           len(name), 0, 0, 0, 0, 0, offset) + name

    data_b = _npy(np.zeros(n_b, np.uint8))
    quoted = local(b"b.npy", zlib.crc32(data_b), len(data_b)) + data_b
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (len(quoted),)})
    data_a = header.getvalue() + quoted
    body = local(b"a.npy", zlib.crc32(data_a), len(data_a)) + data_a
    directory = (central(b"a.npy", zlib.crc32(data_a), len(data_a), 0)
                 + central(b"b.npy", zlib.crc32(data_b), len(data_b),
                           len(body) - len(quoted)))
    return body + directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2,
                                          len(directory), len(body), 0)


def test_overlapping_members_are_refused(tmp_path):
    data = _overlapping_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:           # zipfile itself reads both
        assert sum(len(zf.read(n)) for n in zf.namelist()) > len(data)
    with pytest.raises(mg.SerializationError, match=r"claim \d+ stored bytes, more than"):
        mg.load(io.BytesIO(data))


def test_a_zip_bomb_declaring_gigabytes_is_refused_before_allocating(tmp_path):
    buf = io.BytesIO()                       # ~1 kB of deflated zeros ...
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("z.npy", _npy(np.zeros(100_000)))
    data = bytearray(buf.getvalue())
    at = data.index(b"PK\x01\x02") + 24     # ... whose directory claims 4 GB unpacked
    data[at:at + 4] = struct.pack("<L", 0xFFFF0000)
    path = _raw(tmp_path / "bomb.npz", bytes(data))
    with pytest.raises(mg.SerializationError,
                       match=r"bomb\.npz.*declares 4294901760 bytes, more than its \d+ stored"):
        mg.load(path)


def test_a_member_expanding_beyond_deflate_s_ratio_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, z=np.zeros(100_000))     # ~800 kB from ~1 kB: ratio < 1032
    assert mg.load(path)["z"].shape == (100_000,)
    monkeypatch.setattr(ser, "_MAX_DEFLATE_RATIO", 100)  # (a lying size header, simulated)
    with pytest.raises(mg.SerializationError, match=r"bomb\.npz.*declares \d+ bytes"):
        mg.load(path)
