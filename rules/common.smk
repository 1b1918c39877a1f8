import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

sys.path.insert(
    0, workflow.basedir
)  # the chanpos library, also when snakemake lives elsewhere

from chanpos.config import ConfigError, validate_config

try:
    validate_config(config, Path(workflow.basedir) / "config.schema.yaml")
except ConfigError as err:
    raise WorkflowError(str(err)) from None

PRESET = config["preset"]
RESULTS = f"results/{PRESET}"
DATA = config.get("data_root", f"resources/{PRESET}")
LOGS = f"logs/{PRESET}"
BENCH = f"benchmarks/{PRESET}"
GPUS = config["gpus_per_job"]

# Downloads: file name -> (url, checksum kind, checksum), from config.
DOWNLOADS = {}
for _name, _cfg, _file in [
    ("cifar10", config["datasets"]["cifar10"], "cifar-10-python.tar.gz"),
    ("voc", config["datasets"]["voc"], "VOCtrainval_11-May-2012.tar"),
]:
    if _cfg["source"] == "download":
        DOWNLOADS[_file] = {"url": _cfg["url"], "md5": _cfg["md5"]}
_imagenet_encoder = config["encoders"]["imagenet_resnet18"]
if _imagenet_encoder["source"] == "torchvision":
    DOWNLOADS[Path(_imagenet_encoder["url"]).name] = {
        "url": _imagenet_encoder["url"],
        "sha256": _imagenet_encoder["sha256"],
    }


wildcard_constraints:
    download="|".join(map(lambda n: n.replace(".", r"\."), DOWNLOADS)) or "^$",
    seed=r"\d+",
    grid=r"\d+",


def imagenet_root():
    """The ImageNet-format tree: generated (mini) or the manual copy named in config."""
    cfg = config["datasets"]["imagenet"]
    return f"{DATA}/imagenet" if cfg["source"] == "generate" else cfg.get("path", "")


def manual_datasets_needed():
    """Manual datasets the configured DAG reads, as (name, path, instructions)."""
    needed = []
    cfg = config["datasets"]["imagenet"]
    if cfg["source"] == "manual" and _imagenet_encoder["source"] == "train":
        needed.append(
            (
                "ImageNet",
                cfg.get("path", ""),
                "ImageNet needs a login: get ILSVRC2012 from https://image-net.org, put the "
                "training images in <path>/train/<wnid>/*.JPEG and the validation images sorted "
                "into <path>/val/<wnid>/*.JPEG, and set datasets.imagenet.path to <path>.",
            )
        )
    return needed


def check_manual_datasets():
    """Stop before any job runs when a manual dataset the DAG needs is missing."""
    for name, path, how in manual_datasets_needed():
        if (
            not path
            or not (Path(path) / "train").is_dir()
            or not (Path(path) / "val").is_dir()
        ):
            raise WorkflowError(f"{name} not found at {path!r}. {how}")
