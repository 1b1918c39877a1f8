"""Dataset formats: generators, and writers/readers checked against the official layouts."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets
import torchvision.datasets.cifar
from PIL import Image

from chanpos.data.cifar import CIFAR10_LABEL_NAMES, read_cifar10, write_cifar10
from chanpos.data.imagefolder import synthetic_wnids, write_imagefolder
from chanpos.data.imagefolder_dataset import imagefolder_dataset
from chanpos.data.synthetic import (
    SHAPES,
    VOID,
    make_classification_set,
    make_segmentation_set,
    render_object,
)
from chanpos.data.voc import VOC_CLASSES, VOC_PALETTE, write_voc
from chanpos.data.voc_dataset import VOCSegmentation

# ---------------------------------------------------------------- synthetic images


@pytest.mark.parametrize("size", [32, 64])
def test_classification_set_is_balanced_and_seeded(size: int) -> None:
    images, labels = make_classification_set(40, size, seed=3)
    assert images.shape == (40, size, size, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [4] * 10
    again, labels_again = make_classification_set(40, size, seed=3)
    assert np.array_equal(images, again) and np.array_equal(labels, labels_again)
    assert not np.array_equal(images, make_classification_set(40, size, seed=4)[0])


def test_render_object_per_class() -> None:
    for label in range(len(SHAPES)):
        image = render_object(np.random.default_rng(label), label, 32)
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8
        assert image.astype(float).std() > 10, SHAPES[label]
        assert np.array_equal(image, render_object(np.random.default_rng(label), label, 32))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="label"):
        render_object(rng, len(SHAPES), 32)


def test_segmentation_set_has_objects_background_and_void() -> None:
    images, masks = make_segmentation_set(6, 48, seed=0)
    assert images.shape == (6, 48, 48, 3) and masks.shape == (6, 48, 48)
    assert masks.dtype == np.uint8
    values = np.unique(masks)
    assert set(values.tolist()) <= set(range(21)) | {VOID}
    assert {0, VOID} <= set(values.tolist()) and len(values) > 3
    for mask in masks:  # every scene has 1-4 objects, and void only on their outlines
        objects = set(np.unique(mask).tolist()) - {0, VOID}
        assert 1 <= len(objects) <= 4
        assert (mask == VOID).mean() < (mask != 0).mean()
    assert np.array_equal(masks, make_segmentation_set(6, 48, seed=0)[1])


# ---------------------------------------------------------------- CIFAR-10


def _py2str(b: bytes) -> bytes:
    """A Python 2 ``str`` opcode, as cPickle writes it (SHORT_BINSTRING or BINSTRING)."""
    if len(b) < 256:
        return b"U" + bytes([len(b)]) + b
    return b"T" + struct.pack("<i", len(b)) + b


def _int(v: int) -> bytes:
    return b"J" + struct.pack("<i", v)


def _official_pickle(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A protocol-2 dict pickle as Python 2 wrote it; values are already encoded opcodes."""
    body = b"".join(_py2str(k) + v for k, v in entries)
    return b"\x80\x02}(" + body + b"u."


def _official_array(data: np.ndarray) -> bytes:
    """An N x 3072 uint8 array as numpy 1.x under Python 2 pickled it."""
    dtype = (
        b"cnumpy\ndtype\n" + _py2str(b"u1") + b"K\x00K\x01\x87R"
        b"(K\x03" + _py2str(b"|") + b"NNN" + _int(-1) + _int(-1) + b"K\x00tb"
    )
    shape = _int(data.shape[0]) + _int(data.shape[1]) + b"\x86"
    return (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        b"cnumpy\nndarray\nK\x00\x85" + _py2str(b"b") + b"\x87R"
        b"(K\x01" + shape + dtype + b"\x89" + _py2str(data.tobytes()) + b"tb"
    )


def _official_batch(images: np.ndarray, labels: list[int], batch_label: bytes) -> bytes:
    data = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)
    names = [f"img_{i}.png".encode() for i in range(len(labels))]
    return _official_pickle(
        [
            (b"batch_label", _py2str(batch_label)),
            (b"labels", b"](" + b"".join(_int(k) for k in labels) + b"e"),
            (b"data", _official_array(data)),
            (b"filenames", b"](" + b"".join(_py2str(n) for n in names) + b"e"),
        ]
    )


def test_reads_a_hand_built_official_file(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    labels = [int(k) for k in rng.integers(0, 10, 12)]
    for i in range(5):
        part = slice(2 * i, 2 * i + 2)
        batch = _official_batch(images[part], labels[part], f"training batch {i + 1} of 5".encode())
        (folder / f"data_batch_{i + 1}").write_bytes(batch)
    (folder / "test_batch").write_bytes(_official_batch(images[10:], labels[10:], b"testing"))

    train_images, train_labels = read_cifar10(tmp_path, "train")
    assert np.array_equal(train_images, images[:10])
    assert train_labels.tolist() == labels[:10] and train_labels.dtype == np.int64
    test_images, test_labels = read_cifar10(tmp_path, "test")
    assert np.array_equal(test_images, images[10:]) and test_labels.tolist() == labels[10:]

    # Our writer produces files that unpickle exactly like the official ones, with either
    # encoding: bytes keys and strings with encoding="bytes", str with "latin1" (torchvision).
    names = CIFAR10_LABEL_NAMES
    write_cifar10(tmp_path / "ours", (images[:10], labels[:10]), (images[10:], labels[10:]), names)
    ours_file = tmp_path / "ours" / "cifar-10-batches-py" / "test_batch"
    for encoding in ("bytes", "latin1"):
        official = pickle.loads((folder / "test_batch").read_bytes(), encoding=encoding)
        ours = pickle.loads(ours_file.read_bytes(), encoding=encoding)
        assert list(official) == list(ours)
        assert [type(v) for v in official.values()] == [type(v) for v in ours.values()]
        batch_label, labels_key, data, filenames = official
        assert type(ours[batch_label]) is type(official[batch_label])
        assert type(ours[filenames][0]) is type(official[filenames][0])
        assert ours[labels_key] == official[labels_key]
        assert np.array_equal(official[data], ours[data])


def _cifar_sets() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return make_classification_set(30, 32, seed=0), make_classification_set(10, 32, seed=1)


def test_cifar_round_trip_and_meta(tmp_path: Path) -> None:
    train, test = _cifar_sets()
    write_cifar10(tmp_path, train, test, CIFAR10_LABEL_NAMES)
    folder = tmp_path / "cifar-10-batches-py"
    expected = {f"data_batch_{i}" for i in range(1, 6)} | {"test_batch", "batches.meta"}
    assert expected | {"readme.html"} == {p.name for p in folder.iterdir()}
    for split, (images, labels) in (("train", train), ("test", test)):
        got_images, got_labels = read_cifar10(tmp_path, split)
        assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)
    meta = pickle.loads((folder / "batches.meta").read_bytes(), encoding="bytes")
    assert meta[b"label_names"] == [n.encode() for n in CIFAR10_LABEL_NAMES]
    assert meta[b"num_cases_per_batch"] == 6 and meta[b"num_vis"] == 3072
    batch = pickle.loads((folder / "data_batch_1").read_bytes(), encoding="bytes")
    # channel-major rows: the first 1024 values are the red plane of image 0
    assert np.array_equal(batch[b"data"][0, :1024], train[0][0, :, :, 0].ravel())
    with pytest.raises(FileExistsError):
        write_cifar10(tmp_path, train, test, CIFAR10_LABEL_NAMES)


def test_cifar_matches_torchvision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train, test = _cifar_sets()
    write_cifar10(tmp_path, train, test, CIFAR10_LABEL_NAMES)
    # torchvision checks the md5 of every official file, which generated files cannot match;
    # switch only that check off, so torchvision's own decoding runs on our files.
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *a, **k: True)
    for is_train, split in ((True, "train"), (False, "test")):
        reference = torchvision.datasets.CIFAR10(str(tmp_path), train=is_train, download=False)
        images, labels = read_cifar10(tmp_path, split)
        assert np.array_equal(reference.data, images)
        assert reference.targets == labels.tolist()
        assert reference.classes == CIFAR10_LABEL_NAMES


def test_cifar_missing_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as err:
        read_cifar10(tmp_path, "train")
    message = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in message


# ---------------------------------------------------------------- ImageNet folder layout


def test_imagefolder_round_trip(tmp_path: Path) -> None:
    images, labels = make_classification_set(12, 64, seed=0, num_classes=4)
    wnids = synthetic_wnids(4)
    assert wnids == sorted(wnids) and all(w.startswith("n") and len(w) == 9 for w in wnids)
    write_imagefolder(tmp_path, "val", images, labels, wnids)
    assert (tmp_path / "val" / wnids[labels[0]] / f"{wnids[labels[0]]}_0.JPEG").is_file()
    dataset = imagefolder_dataset(tmp_path, "val", transform=None)
    assert dataset.classes == wnids and len(dataset) == 12
    # ImageFolder lists files sorted; map each back to the written image by class and index.
    for path, label in dataset.samples:
        wnid, index = Path(path).stem.split("_")
        assert label == wnids.index(wnid)
        original = images[labels == label][int(index)]
        with Image.open(path) as f:
            assert f.format == "JPEG"
            decoded = np.asarray(f.convert("RGB"), dtype=float)
        assert np.abs(decoded - original).mean() < 5  # JPEG quality 95, 4:4:4


def test_imagefolder_missing_explains_imagenet(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as err:
        imagefolder_dataset(tmp_path, "train", transform=None)
    message = str(err.value)
    assert str(tmp_path / "train") in message and "https://image-net.org" in message
    assert "val/<wnid>" in message


# ---------------------------------------------------------------- PASCAL VOC 2012


def _voc_splits() -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    train_images, train_masks = make_segmentation_set(4, 48, seed=0)
    val_images, val_masks = make_segmentation_set(2, 48, seed=1)
    return {
        "train": list(zip(train_images, train_masks, strict=True)),
        "val": list(zip(val_images, val_masks, strict=True)),
    }


def test_voc_palette_and_classes() -> None:
    assert VOC_PALETTE.shape == (256, 3) and len(VOC_CLASSES) == 21
    assert VOC_PALETTE[[0, 1, 2, 15, 255]].tolist() == [
        [0, 0, 0], [128, 0, 0], [0, 128, 0], [192, 128, 128], [224, 224, 192]
    ]  # fmt: skip


def test_voc_round_trip(tmp_path: Path) -> None:
    splits = _voc_splits()
    write_voc(tmp_path, splits)
    base = tmp_path / "VOCdevkit" / "VOC2012"
    lists = base / "ImageSets" / "Segmentation"
    assert (lists / "train.txt").read_text().split() == [f"2007_{i:06d}" for i in range(4)]
    assert (lists / "trainval.txt").read_text().split() == [f"2007_{i:06d}" for i in range(6)]
    with Image.open(base / "SegmentationClass" / "2007_000000.png") as png:
        assert png.mode == "P"
        assert png.getpalette() == VOC_PALETTE.ravel().tolist()
    for split, pairs in splits.items():
        dataset = VOCSegmentation(tmp_path, split)
        assert len(dataset) == len(pairs)
        for (image, mask), (got_image, got_mask) in zip(pairs, dataset, strict=True):
            assert got_image.shape == (3, 48, 48) and got_image.dtype.is_floating_point
            assert got_image.min() >= 0 and got_image.max() <= 1
            assert got_mask.dtype == torch.int64 and got_mask.shape == (48, 48)
            assert np.array_equal(got_mask.numpy(), mask)
            assert np.abs(got_image.permute(1, 2, 0).numpy() * 255 - image).mean() < 5


def test_voc_matches_torchvision(tmp_path: Path) -> None:
    write_voc(tmp_path, _voc_splits())
    ours = VOCSegmentation(tmp_path, "train", transform=lambda im, m: (im, m))
    reference = torchvision.datasets.VOCSegmentation(
        str(tmp_path), year="2012", image_set="train", download=False
    )
    assert len(reference) == len(ours)
    for (image, mask), (ref_image, ref_mask) in zip(ours, reference, strict=True):
        assert np.array_equal(np.asarray(image), np.asarray(ref_image))
        assert ref_mask.mode == "P" and np.array_equal(np.asarray(mask), np.asarray(ref_mask))


def test_voc_missing_names_the_archive(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as err:
        VOCSegmentation(tmp_path, "train")
    message = str(err.value)
    assert str(tmp_path / "VOCdevkit" / "VOC2012") in message
    assert "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar" in message


# ---------------------------------------------------------------- determinism of the files


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        root = tmp_path / run
        write_cifar10(root, *_cifar_sets(), CIFAR10_LABEL_NAMES)
        images, labels = make_classification_set(10, 64, seed=0)
        write_imagefolder(root / "imagenet", "train", images, labels, synthetic_wnids(10))
        write_voc(root / "voc", _voc_splits())
    a, b = _tree_bytes(tmp_path / "a"), _tree_bytes(tmp_path / "b")
    assert a == b and len(a) > 20
    assert not any(name.endswith(".tmp") or "/." in name for name in a)
