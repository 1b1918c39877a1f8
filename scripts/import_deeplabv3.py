"""Import a published DeepLabv3 Cityscapes checkpoint: the authors' (VainF key layout) or
mmsegmentation's (built from its mmseg config)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import save_checkpoint
from chanpos.data.cityscapes import NUM_CLASSES
from chanpos.job import job
from chanpos.models.deeplab import DeepLabV3, load_vainf_checkpoint
from chanpos.models.mmseg_config import describe, model_config
from chanpos.models.mmseg_deeplab import load_mmseg_checkpoint
from chanpos.provenance import write_result

PUBLISHER = {
    "vainf": "the authors' file (PermuteNet README)",
    "mmseg": "OpenMMLab's file (mmsegmentation's model zoo, configs/deeplabv3/metafile.yaml)",
}

p = snakemake.params
with job(snakemake) as ctx:
    if not snakemake.input:
        raise RuntimeError(
            f"encoders.deeplabv3_cityscapes.sha256 is not pinned, so {p.url} is not downloaded. "
            f"Download it once, check it is {PUBLISHER[p.source]}, and set "
            "encoders.deeplabv3_cityscapes.sha256 to the output of `sha256sum` on it."
        )
    weights = snakemake.input[0]
    result = {"source": p.source, "weights": Path(weights).name}
    if p.source == "vainf":
        model = load_vainf_checkpoint(weights, DeepLabV3(NUM_CLASSES, **p.arch))
        save_checkpoint(
            snakemake.output.model, model, "deeplabv3", num_classes=NUM_CLASSES, **p.arch
        )
    else:
        config = model_config(p.mmseg_config, p.overrides)
        model = load_mmseg_checkpoint(weights, config)
        if model.num_classes != NUM_CLASSES:
            raise ValueError(
                f"{p.mmseg_config} predicts {model.num_classes} classes, not Cityscapes' "
                f"{NUM_CLASSES} train classes"
            )
        save_checkpoint(snakemake.output.model, model, "mmseg_deeplabv3", config=config)
        result |= {"config": p.mmseg_config, "overrides": p.overrides, "model": describe(config)}
    write_result(snakemake.output.metrics, result, ctx["provenance"])
