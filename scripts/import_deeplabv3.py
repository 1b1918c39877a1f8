"""Import the authors' DeepLabv3-ResNet-50 Cityscapes checkpoint (VainF key layout)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import save_checkpoint
from chanpos.data.cityscapes import NUM_CLASSES
from chanpos.job import job
from chanpos.models.deeplab import DeepLabV3, load_vainf_checkpoint
from chanpos.provenance import write_result

arch, url = snakemake.params.arch, snakemake.params.url
with job(snakemake) as ctx:
    if not snakemake.input:
        raise RuntimeError(
            f"encoders.deeplabv3_cityscapes.sha256 is not pinned, so {url} is not downloaded. "
            "Download it once, check it is the authors' file (PermuteNet README), and set "
            "encoders.deeplabv3_cityscapes.sha256 to the output of `sha256sum` on it."
        )
    model = load_vainf_checkpoint(snakemake.input[0], DeepLabV3(NUM_CLASSES, **arch))
    save_checkpoint(snakemake.output.model, model, "deeplabv3", num_classes=NUM_CLASSES, **arch)
    result = {"source": "vainf", "weights": Path(snakemake.input[0]).name}
    write_result(snakemake.output.metrics, result, ctx["provenance"])
