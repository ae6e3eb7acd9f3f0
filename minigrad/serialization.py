"""``save`` / ``load``: checkpoints as NumPy ``.npz`` archives, never pickle.

``mg.save(obj, f)`` takes a path (``str`` / ``os.PathLike``) or a binary file
object, and ``obj`` an array, a Tensor, a NumPy scalar, or dicts (keys ``str``
or ``int``), lists and tuples nested to any depth whose leaves are those or
Python ``bool`` / ``int`` / ``float`` / ``str`` / ``None``: a model's, an
optimizer's or a scheduler's ``state_dict()``, or a whole checkpoint
``{"model": ..., "optim": ..., "epoch": 3}``. ``mg.load(f)`` gives back the same
structure: tuples as tuples, Tensors as Tensors (same dtype, same
``requires_grad``; a ``Parameter`` comes back as a plain Tensor, without
history), arrays with their dtype and shape, Python scalars with their type.
Dict subclasses (``OrderedDict``) come back as ``dict`` in the same order; an
object reached twice is stored twice.

File format (a zip archive that ``np.load(f, allow_pickle=False)`` also opens):

- **Version 0**, a flat ``{str: np.ndarray}`` (a model's ``state_dict()``): one
  ``.npy`` member per key, named by the key, and nothing else: the layout every
  earlier minigrad wrote, read back as ``{name: array}`` in member order.
- **Version 1**, anything else: members ``arr_0.npy``, ``arr_1.npy``, ... hold
  the arrays (Tensors' data and NumPy scalars as 0-d arrays), and
  ``__minigrad__.npy``, a 1-D ``uint8`` array, holds the UTF-8 JSON
  ``{"format": "minigrad", "version": 1, "root": NODE}``. A NODE is a JSON
  ``null`` / ``true`` / ``false`` / number / string for a Python scalar
  (integers and floats keep their JSON spelling, so their type survives;
  ``NaN`` / ``Infinity`` as Python's ``json`` writes them) or an object
  ``{"type": T, ...}`` with ``T`` one of ``"list"`` / ``"tuple"``
  (``"items": [NODE, ...]``), ``"dict"`` (``"items": [[key, NODE], ...]``, key a
  string or integer, in order), ``"array"`` / ``"scalar"`` (``"member":
  "arr_N"``) and ``"tensor"`` (``"member"``, ``"requires_grad": bool``). Each
  member is named by one node only (a reader refuses a member named twice).

Only numeric members (bool, int, uint, float) are read or written. Loading
executes nothing: members are parsed by hand from their ``.npy`` headers, each
declared size is checked against the member's stored size before anything is
allocated, and any unreadable, truncated, foreign or hostile file raises
:class:`SerializationError` (a ``ValueError``) naming the file. Saving to a
path is atomic: the archive is written to a temporary file in the same folder,
flushed and fsynced, then renamed over the target, so a failure at any point
leaves the previous file at that path intact (a killed process may leave its
hidden ``.NAME.*.tmp`` file beside it). A file object is written in place.
"""
from __future__ import annotations

import io
import json
import os
import secrets
import stat
import zipfile
import zlib
from typing import IO, TYPE_CHECKING, Any, Union

import numpy as np

from .tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._typing import Array

    FileLike = Union[str, "os.PathLike[str]", IO[bytes]]

VERSION = 1
STRUCTURE = "__minigrad__"        # the member holding the JSON structure (version 1)
_KINDS = "biuf"                   # numeric dtype kinds saved and loaded
_MAX_DEFLATE_RATIO = 1032         # deflate's largest possible expansion


class SerializationError(ValueError):
    """``mg.load`` could not read a file: truncated, corrupt, not written by
    ``mg.save`` (nor a plain numeric ``.npz``), or hostile. The message names
    the file and what is wrong."""


# ------------------------------------------------------------------- saving
def save(obj: object, f: FileLike) -> None:
    """Write ``obj`` (see the module docstring for what it may hold) to ``f``.

    ``f``: a path, written exactly (no suffix added) and atomically, or a
    binary file object open for writing. The whole structure is checked before
    anything is written: an unsupported leaf raises TypeError naming its type
    and where it sits (e.g. ``obj['optim']['state'][0]['step']``).
    """
    members = _encode_all(obj)
    if isinstance(f, (str, os.PathLike)):
        _write_atomically(os.fspath(f), members)
    elif isinstance(f, io.TextIOBase):
        raise TypeError("save: f is a text file; open it in binary mode ('wb')")
    elif callable(getattr(f, "write", None)):
        _write_archive(f, members)
    else:
        raise TypeError(f"save: f must be a path or a binary file object, "
                        f"got {type(f).__name__}")


def _encode_all(obj: object) -> dict[str, Array]:
    """member name -> array for the archive: version 0 for a flat dict of
    arrays, else the arrays plus the JSON structure member."""
    if (isinstance(obj, dict) and STRUCTURE not in obj
            and all(type(k) is str and type(v) is np.ndarray for k, v in obj.items())):
        for k, v in obj.items():
            _check_dtype(v, f"obj[{k!r}]")
        return dict(obj)
    arrays: list[Array] = []
    root = _encode(obj, "obj", arrays, set())
    members = {f"arr_{i}": a for i, a in enumerate(arrays)}
    text = json.dumps({"format": "minigrad", "version": VERSION, "root": root})
    members[STRUCTURE] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return members


def _encode(x: object, where: str, arrays: list[Array], open_: set[int]) -> Any:
    """The JSON node for ``x`` (arrays appended to ``arrays``); ``open_`` holds
    the ids of the containers being encoded, to refuse a structure holding itself."""
    if x is None or type(x) in (bool, int, float, str):
        return x
    if isinstance(x, Tensor):
        return {"type": "tensor", "member": _add(x.data, where, arrays),
                "requires_grad": x.requires_grad}
    if type(x) is np.ndarray:
        return {"type": "array", "member": _add(x, where, arrays)}
    if isinstance(x, np.generic):
        return {"type": "scalar", "member": _add(np.asarray(x), where, arrays)}
    if isinstance(x, (dict, list, tuple)):
        if not isinstance(x, dict) and type(x) not in (list, tuple):
            raise TypeError(f"save: {where} is a {type(x).__name__}, which would load "
                            f"as a plain {type(x).__mro__[1].__name__}; convert it first")
        if id(x) in open_:
            raise TypeError(f"save: {where} contains itself")
        open_.add(id(x))
        if isinstance(x, dict):
            items = []
            for k, v in x.items():
                if type(k) not in (str, int):
                    raise TypeError(f"save: the keys of {where} must be str or int, "
                                    f"got {type(k).__name__} {k!r}")
                items.append([k, _encode(v, f"{where}[{k!r}]", arrays, open_)])
            node = {"type": "dict", "items": items}
        else:
            node = {"type": type(x).__name__,
                    "items": [_encode(v, f"{where}[{i}]", arrays, open_)
                              for i, v in enumerate(x)]}
        open_.discard(id(x))
        return node
    if callable(getattr(x, "state_dict", None)):
        raise TypeError(f"save: {where} is a {type(x).__name__}, which is not saved "
                        f"itself; pass its state dict instead, e.g. model.state_dict()")
    raise TypeError(f"save: cannot save {where}, a {type(x).__name__} (expected an "
                    f"array, Tensor, bool, int, float, str, None, dict, list or tuple)")


def _add(a: Array, where: str, arrays: list[Array]) -> str:
    _check_dtype(a, where)
    arrays.append(a)
    return f"arr_{len(arrays) - 1}"


def _check_dtype(a: Array, where: str) -> None:
    if a.dtype.kind not in _KINDS:
        raise TypeError(f"save: {where} is not a numeric array (dtype {a.dtype}); "
                        f"expected bool, integer or floating-point")


def _write_archive(fh: IO[bytes], members: dict[str, Array]) -> None:
    """The ``.npz`` layout of ``np.savez`` (stored, zip64), written with pickle off."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, a in members.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as m:
                _write_member(m, a)


def _write_member(m: IO[bytes], a: Array) -> None:
    np.lib.format.write_array(m, a, allow_pickle=False)


def _write_atomically(path: str, members: dict[str, Array]) -> None:
    """Write to a fresh file beside ``path``, fsync, then rename it over ``path``;
    on any failure the temporary file is removed and ``path`` is untouched."""
    if os.path.islink(path):
        path = os.path.realpath(path)      # replace the link's target, as open() would
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a folder; give the path of a file")
    folder, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, members)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders can't be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------ loading
def load(f: FileLike) -> Any:
    """Read what :func:`save` wrote to ``f`` (a path or a binary file object open
    for reading, seekable), in the structure it was saved with.

    A version-0 file (and any plain ``.npz`` of numeric arrays) loads as
    ``{name: np.ndarray}``. Raises :class:`SerializationError` for anything
    unreadable; a missing path raises ``FileNotFoundError`` as ``open`` does.
    """
    if isinstance(f, (str, os.PathLike)):
        name = repr(os.fspath(f))
        with open(f, "rb") as fh:
            return _load_guarded(fh, name)
    if isinstance(f, io.TextIOBase):
        raise TypeError("load: f is a text file; open it in binary mode ('rb')")
    if not callable(getattr(f, "read", None)):
        raise TypeError(f"load: f must be a path or a binary file object, "
                        f"got {type(f).__name__}")
    if not getattr(f, "seekable", lambda: False)():
        raise TypeError(f"load: the file object must be seekable (a zip archive is "
                        f"read from its end); read it into io.BytesIO first")
    fname = getattr(f, "name", None)
    return _load_guarded(f, repr(fname) if isinstance(fname, str) else
                         f"<{type(f).__name__}>")


def _load_guarded(fh: IO[bytes], name: str) -> Any:
    try:
        return _read_archive(fh, name)
    except SerializationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
            ValueError, KeyError, OverflowError, NotImplementedError, RecursionError,
            MemoryError) as e:
        raise SerializationError(f"load: {name} is not a readable minigrad file "
                                 f"({type(e).__name__}: {e})") from e


def _read_archive(fh: IO[bytes], name: str) -> Any:
    start = fh.tell()
    if fh.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):   # (a member, or empty)
        raise SerializationError(f"load: {name} is not an .npz (zip) archive")
    size = fh.seek(0, io.SEEK_END) - start
    fh.seek(start)
    with zipfile.ZipFile(fh) as zf:
        infos = {}
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                raise SerializationError(f"load: {name} holds {info.filename!r}, "
                                         f"which is not an .npy array member")
            if info.filename[:-4] in infos:
                raise SerializationError(f"load: {name} holds two members named "
                                         f"{info.filename!r}")
            infos[info.filename[:-4]] = info
        stored = sum(info.compress_size for info in infos.values())
        if stored > size:      # (members overlapping in the file: one byte read many times)
            raise SerializationError(f"load: {name}: its members claim {stored} stored "
                                     f"bytes, more than the file's {size}")

        used: set[str] = set()

        def read(member: str) -> Array:
            # (each member once: a structure naming one array many times could
            # otherwise allocate far more than the file holds)
            if member not in infos or member in used:
                raise SerializationError(f"load: {name} lacks the member {member!r} "
                                         f"or names it twice")
            used.add(member)
            return _read_member(zf, infos[member], size, name)

        if STRUCTURE not in infos:
            return {k: read(k) for k in infos}
        return _decode_file(read(STRUCTURE), read, name)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, name: str) -> Array:
    """One ``.npy`` member, its declared shape checked against its stored size
    before the array is allocated; only numeric dtypes, never pickle."""
    where = f"{name}, member {info.filename!r}"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise SerializationError(f"load: {where}: unsupported zip compression "
                                 f"{info.compress_type}")
    ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _MAX_DEFLATE_RATIO
    if info.compress_size > size or info.file_size > ratio * info.compress_size + 64:
        raise SerializationError(f"load: {where} declares {info.file_size} bytes, more "
                                 f"than its {info.compress_size} stored bytes can hold")
    with zf.open(info) as m:
        version = np.lib.format.read_magic(m)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(m)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(m)
        else:
            raise SerializationError(f"load: {where}: unsupported .npy version {version}")
        if dtype.hasobject:
            raise SerializationError(f"load: {where} holds Python objects (dtype "
                                     f"{dtype}), which would need pickle; refused")
        if dtype.kind not in _KINDS:
            raise SerializationError(f"load: {where} has dtype {dtype}; only bool, "
                                     f"integer and floating-point arrays are read")
        count = 1
        for n in shape:
            count *= n
        nbytes = count * dtype.itemsize
        if nbytes != info.file_size - m.tell():
            raise SerializationError(f"load: {where} declares shape {shape} ({nbytes} "
                                     f"bytes) but stores {info.file_size - m.tell()}")
        flat = np.empty(count, dtype=dtype)
        raw, done = flat.view(np.uint8), 0
        while done < nbytes:
            chunk = m.read(min(nbytes - done, 1 << 22))
            if not chunk:
                raise SerializationError(f"load: {where} is truncated")
            raw[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)
        if m.read(1):          # (also makes zipfile check the member's CRC)
            raise SerializationError(f"load: {where} holds more than it declares")
    return flat.reshape(shape[::-1]).transpose() if fortran else flat.reshape(shape)


def _decode_file(raw: Array, read: Callable[[str], Array], name: str) -> Any:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise SerializationError(f"load: {name}: the {STRUCTURE!r} member is not the "
                                 f"uint8 JSON text mg.save writes")
    doc = json.loads(raw.tobytes().decode("utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != "minigrad" or "root" not in doc:
        raise SerializationError(f"load: {name}: {STRUCTURE!r} is not a minigrad "
                                 f"structure")
    version = doc.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:
        raise SerializationError(f"load: {name} has format version {version!r}; this "
                                 f"minigrad reads versions up to {VERSION}")
    return _decode(doc["root"], "obj", read, name)


def _decode(node: Any, where: str, read: Callable[[str], Array], name: str) -> Any:
    if node is None or type(node) in (bool, int, float, str):
        return node

    def bad(what: str) -> SerializationError:
        return SerializationError(f"load: {name}: the structure at {where} {what}")

    if not isinstance(node, dict):
        raise bad(f"is a JSON {type(node).__name__}")
    kind = node.get("type")
    if kind in ("array", "scalar", "tensor"):
        member = node.get("member")
        if not isinstance(member, str) or member == STRUCTURE:
            raise bad(f"names no array member ({member!r})")
        a = read(member)
        if kind == "array":
            return a
        if kind == "scalar":
            if a.ndim != 0:
                raise bad(f"is a scalar stored with shape {a.shape}")
            return a[()]
        flag = node.get("requires_grad")
        if type(flag) is not bool or (flag and a.dtype.kind != "f"):
            raise bad(f"has requires_grad {flag!r} for dtype {a.dtype}")
        return Tensor(a, requires_grad=flag)
    items = node.get("items")
    if kind in ("list", "tuple") and isinstance(items, list):
        out = [_decode(v, f"{where}[{i}]", read, name) for i, v in enumerate(items)]
        return out if kind == "list" else tuple(out)
    if kind == "dict" and isinstance(items, list):
        d = {}
        for pair in items:
            if (not isinstance(pair, list) or len(pair) != 2
                    or type(pair[0]) not in (str, int)):
                raise bad(f"has a dict entry {pair!r}, not [str or int key, value]")
            d[pair[0]] = _decode(pair[1], f"{where}[{pair[0]!r}]", read, name)
        return d
    raise bad(f"is not a known node ({json.dumps(node)[:80]})")
