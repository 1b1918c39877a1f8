"""CIFAR-10 in the official python format (``cifar-10-batches-py/``).

Each batch file is a protocol-2 pickle written by Python 2: a dict with the Python 2 ``str``
keys ``batch_label``, ``labels``, ``data`` and ``filenames``, where ``data`` is an N x 3072
uint8 array holding, per image, the R, G and B planes of 32 x 32 pixels in row-major order.
Loaded with ``encoding="bytes"`` the keys are ``bytes`` (``b"data"``); with
``encoding="latin1"`` (torchvision) they are ``str``. :func:`write_cifar10` writes the same
Python 2 strings, so its files load exactly like the official ones either way.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import Any, Literal

import numpy as np

from chanpos.atomic import atomic_dir

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
BATCHES_DIR = "cifar-10-batches-py"
CIFAR10_LABEL_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
_TEST_FILES = ["test_batch"]


class _Py2Str(bytes):
    """A Python 2 ``str``: pickled as (SHORT_)BINSTRING, as cPickle wrote it."""


class _Py2Pickler(pickle._Pickler):
    """Protocol-2 pickler that writes :class:`_Py2Str` and array buffers as Python 2 strings."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2str(self, obj: _Py2Str) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[_Py2Str] = save_py2str

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is not np.ndarray:
            return NotImplemented
        func, (cls, shape, typecode), state = np.ascontiguousarray(obj).__reduce__()
        version, shape_, dtype, fortran, raw = state
        return (
            func,
            (cls, shape, _Py2Str(typecode)),
            (version, shape_, dtype, fortran, _Py2Str(raw)),
        )


def _py2(value: Any) -> Any:
    """Turn every ``str`` in a dict/list value into a Python 2 string."""
    if isinstance(value, str):
        return _Py2Str(value.encode("latin1"))
    if isinstance(value, dict):
        return {_py2(k): _py2(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_py2(v) for v in value]
    return value


def _dump(obj: dict[str, Any], path: Path) -> None:
    with open(path, "wb") as f:
        _Py2Pickler(f, protocol=2).dump(_py2(obj))


def _load(path: Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        entry = pickle.load(f, encoding="latin1")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}


def _batch(
    images: np.ndarray, labels: np.ndarray, batch_label: str, names: list[str]
) -> dict[str, Any]:
    if images.ndim != 4 or images.shape[1:] != (32, 32, 3) or images.dtype != np.uint8:
        raise ValueError(
            f"expected N x 32 x 32 x 3 uint8 images, got {images.shape} {images.dtype}"
        )
    return {
        "batch_label": batch_label,
        "labels": [int(k) for k in labels],
        "data": images.transpose(0, 3, 1, 2).reshape(len(images), 3072),
        "filenames": [f"{names[k]}_s_{i:06d}.png" for i, k in enumerate(labels)],
    }


def write_cifar10(
    root: Path,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    label_names: list[str],
) -> None:
    """Write ``root/cifar-10-batches-py/`` in the official format; train is split in 5 batches.

    The folder is built under a temporary name and renamed when complete.
    """
    train_parts = [np.array_split(a, len(_TRAIN_FILES)) for a in train]
    with atomic_dir(Path(root) / BATCHES_DIR) as out:
        for i, (name, images, labels) in enumerate(zip(_TRAIN_FILES, *train_parts, strict=True)):
            label = f"training batch {i + 1} of {len(_TRAIN_FILES)}"
            _dump(_batch(images, labels, label, label_names), out / name)
        _dump(_batch(*test, "testing batch 1 of 1", label_names), out / _TEST_FILES[0])
        meta = {
            "num_cases_per_batch": len(train_parts[0][0]),
            "label_names": list(label_names),
            "num_vis": 3072,
        }
        _dump(meta, out / "batches.meta")
        (out / "readme.html").write_text(
            "<html><body><p>CIFAR-10 python version, written by chanpos "
            "(generated data in the official format).</p></body></html>\n"
        )


def read_cifar10(root: Path, split: Literal["train", "test"]) -> tuple[np.ndarray, np.ndarray]:
    """Read a split of ``root/cifar-10-batches-py/``: N x 32 x 32 x 3 uint8 images, int64 labels."""
    folder = Path(root) / BATCHES_DIR
    if not folder.is_dir():
        raise FileNotFoundError(
            f"CIFAR-10 not found: expected the folder {folder}. Download {CIFAR10_URL} "
            f"(md5 {CIFAR10_MD5}) and extract it into {Path(root)}, so that {folder}/data_batch_1 "
            "exists."
        )
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    files = _TRAIN_FILES if split == "train" else _TEST_FILES
    batches = [_load(folder / name) for name in files]
    data = np.concatenate([np.asarray(b["data"], np.uint8) for b in batches])
    labels = np.concatenate([np.asarray(b["labels"], np.int64) for b in batches])
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels
