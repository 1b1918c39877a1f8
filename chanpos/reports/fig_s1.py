"""Fig. S1 from the readout runs: its table and the protocol's notes."""

from __future__ import annotations

import pandas as pd

from chanpos.tables import mean_sd_table


def fig_s1_notes(config: dict) -> list[str]:
    """The protocol and the assumptions Fig. S1's numbers depend on, one sentence each."""
    cfg, enc, data = config["fig_s1"], config["encoders"], config["datasets"]
    imagenet = enc["imagenet_resnet18"]
    if imagenet["source"] == "torchvision":
        classifier = f"torchvision's published ImageNet weights ({imagenet['url'].split('/')[-1]})"
    else:
        where = (
            "generated ImageNet-format data"
            if data["imagenet"]["source"] == "generate"
            else "ImageNet"
        )
        classifier = f"trained here for {imagenet['train']['epochs']} epochs on {where}"
    voc = enc["voc_resnet18"]
    voc_data = "generated VOC-format data" if data["voc"]["source"] == "generate" else "VOC 2012"
    canvas = "generated CIFAR-10-format" if data["cifar10"]["source"] == "generate" else "CIFAR-10"
    return [
        f"Frozen ResNet-18 ImageNet classifier: {classifier}.",
        f"Frozen ResNet-18 VOC segmenter: layer4 dilated (output stride 16) with an FCN head, "
        f"trained here for {voc['train']['epochs']} epochs on {voc_data}, backbone initialised "
        f"from {voc['init']}. Assumption (NOTES.md 2.5): the paper does not describe its "
        "segmentation model beyond 'ResNet-18'.",
        f"Readouts on {cfg['grid']}x{cfg['grid']} canvases of {canvas} images (cell "
        f"{cfg['cell']} px): GAPNet = 1x1 conv then GAP (Eq. S1); ShuffleNet = GAP, a channel "
        "permutation redrawn every forward pass (train and test), then a linear layer. Adam lr "
        f"{cfg['lr']}, batch {cfg['batch_size']}, {cfg['epochs']} epochs on "
        f"{cfg['train_images']} training canvases, tested on {cfg['test_images']}.",
        "Both readouts see the latent only through its global average (a 1x1 convolution "
        "commutes with GAP), so pooled latents are cached; this is exact.",
    ]


def fig_s1_frame(runs: pd.DataFrame, grid: int) -> pd.DataFrame:
    """Fig. S1's numbers: mean ± sd accuracy (%) per encoder, one column per readout."""
    wide = mean_sd_table(runs, ["encoder"], "readout", "accuracy")
    wide["chance"] = f"{100 / grid**2:.1f}"
    return wide
