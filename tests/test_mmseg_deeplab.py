"""mmsegmentation's DeepLabV3 behind the latent split: same outputs as mmseg's own inference,
the stored checkpoint, refused configs and config validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from torch import nn

from chanpos.channels import zero_channels
from chanpos.checkpoints import load_checkpoint, save_checkpoint
from chanpos.config import ConfigError, validate_config
from chanpos.data.cityscapes import TRAIN_CLASSES
from chanpos.encoders import normalise
from chanpos.models.mmseg_config import EXAMPLE, config_file, describe, model_config
from chanpos.models.mmseg_deeplab import (
    MMSegDeepLabV3,
    build_segmentor,
    check_config,
    load_mmseg_checkpoint,
)
from tests.workflow import REPO

# mmseg's R-50-D8 Cityscapes config shrunk to a ResNetV1c-18 at 1/8 width: 64 latent channels.
SMALL = {
    "model.backbone.depth": 18,
    "model.backbone.stem_channels": 8,
    "model.backbone.base_channels": 8,
    "model.decode_head.in_channels": 64,
    "model.decode_head.channels": 8,
    "model.auxiliary_head.in_channels": 32,
    "model.auxiliary_head.channels": 4,
}


def write_mmengine_checkpoint(path: Path, seed: int = 0) -> None:
    """A randomly initialised small mmseg DeepLabV3 saved as mmengine's runner saves one."""
    torch.manual_seed(seed)
    segmentor = build_segmentor(model_config(EXAMPLE, SMALL))
    for m in segmentor.modules():  # non-trivial batch-norm statistics
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    meta = {"dataset_meta": {"classes": tuple(TRAIN_CLASSES)}, "iter": 80000}
    torch.save({"meta": meta, "state_dict": segmentor.state_dict()}, path)


def test_split_equals_mmseg_inference_on_the_same_image(tmp_path):
    from mmengine.config import Config
    from mmseg.apis import init_model

    path = tmp_path / "deeplabv3_small.pth"
    write_mmengine_checkpoint(path)
    ours = load_mmseg_checkpoint(path, model_config(EXAMPLE, SMALL)).eval()
    cfg = Config.fromfile(config_file(EXAMPLE))
    cfg.merge_from_dict(SMALL)
    theirs = init_model(cfg, str(path), device="cpu")  # mmseg's own loading and inference

    rgb = np.random.default_rng(0).integers(0, 256, (48, 80, 3), dtype=np.uint8)
    x = normalise()(Image.fromarray(rgb))[None]  # chanpos's input pipeline
    bgr = torch.from_numpy(rgb[..., ::-1].copy()).permute(2, 0, 1)  # as mmseg loads images
    inputs = theirs.data_preprocessor({"inputs": [bgr], "data_samples": None}, False)["inputs"]
    assert torch.allclose(inputs, x, atol=1e-5)  # the same normalisation
    shape = (48, 80)
    with torch.no_grad():
        z = ours.encode(x)
        assert z.shape == (1, 64, 6, 10)  # output stride 8
        logits = ours.head(z, shape)
        expected = theirs.inference(inputs, [dict(ori_shape=shape, img_shape=shape)])
        assert logits.shape == (1, 19, *shape)
        assert torch.allclose(logits, expected, atol=1e-5)
        assert torch.equal(ours(x), logits)
        assert torch.equal(ours.head(zero_channels(z, []), shape), logits)
        assert not torch.allclose(ours.head(zero_channels(z, range(16)), shape), logits)


def test_stored_checkpoint_rebuilds_the_split_without_the_auxiliary_head(tmp_path):
    write_mmengine_checkpoint(tmp_path / "small.pth")
    config = model_config(EXAMPLE, SMALL)
    ours = load_mmseg_checkpoint(tmp_path / "small.pth", config).eval()
    save_checkpoint(tmp_path / "ours.pt", ours, "mmseg_deeplabv3", config=config)
    again = load_checkpoint(tmp_path / "ours.pt").eval()
    assert isinstance(again, MMSegDeepLabV3) and again.output_stride == 8
    assert not any(k.startswith("auxiliary_head") for k in again.state_dict())
    x = torch.randn(2, 3, 32, 64)
    with torch.no_grad():
        assert torch.equal(again(x), ours(x))
        assert again.head(again.encode(x)).shape == (2, 19, 32, 64)


def test_a_checkpoint_of_another_network_is_refused(tmp_path):
    write_mmengine_checkpoint(tmp_path / "small.pth")
    wider = model_config(EXAMPLE, {**SMALL, "model.decode_head.channels": 16})
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_mmseg_checkpoint(tmp_path / "small.pth", wider)
    torch.save({"model_state": {}}, tmp_path / "vainf.pth")
    with pytest.raises(ValueError, match="vainf.pth: expected an mmengine checkpoint"):
        load_mmseg_checkpoint(tmp_path / "vainf.pth", model_config(EXAMPLE, SMALL))


@pytest.mark.parametrize(
    ("overrides", "need"),
    [
        ({"model.data_preprocessor.bgr_to_rgb": False}, "bgr_to_rgb"),
        ({"model.data_preprocessor.std": [1.0, 1.0, 1.0]}, "ImageNet mean and std"),
        ({"model.test_cfg": {"mode": "slide"}}, "test_cfg.mode 'whole'"),
        ({"model.decode_head.in_index": 2}, "the last backbone stage"),
        ({"model.decode_head.type": "PSPHead"}, "ASPPHead"),
    ],
)
def test_configs_the_split_would_not_reproduce_are_refused(overrides, need):
    config = model_config(EXAMPLE, {**SMALL, **overrides})
    with pytest.raises(ValueError, match="not supported by the latent split") as err:
        check_config(config)
    assert need in str(err.value)


def test_the_published_config_is_r50_os8_on_chanpos_normalisation():
    config = model_config(EXAMPLE)
    check_config(config)
    assert config["pretrained"] is None  # nothing is downloaded when it is built
    text = describe(config)
    assert "ResNetV1c-50" in text and "latent = 2048 channels" in text
    assert "output stride 8" in text
    with pytest.raises(FileNotFoundError, match="no mmseg config 'deeplabv3/nothing.py'"):
        config_file("deeplabv3/nothing.py")


def _mini_with(encoder: dict) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["encoders"]["deeplabv3_cityscapes"] = {
        "arch": config["encoders"]["deeplabv3_cityscapes"]["arch"],
        **encoder,
    }
    return config


def test_schema_accepts_the_mmseg_source_and_names_what_is_missing():
    url = "https://download.openmmlab.com/x.pth"
    ok = {"source": "mmseg", "config": EXAMPLE, "url": url, "sha256": None}
    validate_config(_mini_with(ok), REPO / "config.schema.yaml")
    validate_config(_mini_with({**ok, "overrides": SMALL}), REPO / "config.schema.yaml")
    for encoder, message in [
        ({"source": "mmseg", "url": url, "sha256": None}, "'config' is a required property"),
        ({**ok, "config": "../../evil.py"}, "does not match"),
        ({**ok, "sha256": "abc"}, "sha256"),
        ({"source": "mmsegmentation"}, "choose one of ['train', 'vainf', 'mmseg']"),
    ]:
        with pytest.raises(ConfigError, match="encoders.deeplabv3_cityscapes") as err:
            validate_config(_mini_with(encoder), REPO / "config.schema.yaml")
        assert message in str(err.value), (encoder, str(err.value))
