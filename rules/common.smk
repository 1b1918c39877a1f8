import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

sys.path.insert(
    0, workflow.basedir
)  # the chanpos library, also when snakemake lives elsewhere

from chanpos.config import ConfigError, validate_config
from chanpos.download import download_name

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
    DOWNLOADS[download_name(_imagenet_encoder["url"])] = {
        "url": _imagenet_encoder["url"],
        "sha256": _imagenet_encoder["sha256"],
    }


_deeplab_encoder = config["encoders"]["deeplabv3_cityscapes"]
if _deeplab_encoder["source"] != "train" and _deeplab_encoder.get("sha256"):
    DOWNLOADS[download_name(_deeplab_encoder["url"])] = {
        "url": _deeplab_encoder["url"],
        "sha256": _deeplab_encoder["sha256"],
    }
# Table 2's published weights; a torch.hub 8-hex sha256 prefix is checked at import instead.
for _weights in config["shift"]["weights"].values():
    DOWNLOADS[download_name(_weights["url"])] = {"url": _weights["url"]} | (
        {"sha256": _weights["sha256"]} if len(_weights["sha256"]) == 64 else {}
    )


wildcard_constraints:
    download="|".join(map(lambda n: n.replace(".", r"\."), DOWNLOADS)) or "^$",
    seed=r"\d+",
    grid=r"\d+",


def imagenet_root():
    """The ImageNet-format tree: generated (mini) or the manual copy named in config."""
    cfg = config["datasets"]["imagenet"]
    return f"{DATA}/imagenet" if cfg["source"] == "generate" else cfg.get("path", "")


def cityscapes_root():
    """The Cityscapes tree: generated or downloaded (under DATA), or the manual copy in config."""
    cfg = config["datasets"]["cityscapes"]
    return f"{DATA}/cityscapes" if cfg["source"] != "manual" else cfg.get("path", "")


def cityscapes_input():
    """The Cityscapes tree as an input of rules: built by the DAG unless it is a manual copy."""
    manual = config["datasets"]["cityscapes"]["source"] == "manual"
    return [] if manual else cityscapes_root()


# Rules that read the Cityscapes tree (the onstart check looks for it only when they run).
CITYSCAPES_RULES = {"train_deeplabv3_cityscapes", "seg_rank", "seg_attack"}
CITYSCAPES_HOWTO = (
    "Cityscapes needs a login: register at https://www.cityscapes-dataset.com, download "
    "gtFine_trainvaltest.zip and leftImg8bit_trainvaltest.zip, unzip both into <path> (so that "
    "<path>/leftImg8bit/val and <path>/gtFine/val exist) and set datasets.cityscapes.path to "
    "<path>; or set datasets.cityscapes.source to 'download' and export CITYSCAPES_USERNAME and "
    "CITYSCAPES_PASSWORD, and the workflow fetches both archives with cityscapesscripts."
)


def citypersons_root():
    """The CityPersons tree: generated under DATA, or the manual copy named in config."""
    cfg = config["datasets"]["citypersons"]
    return f"{DATA}/citypersons" if cfg["source"] == "generate" else cfg.get("path", "")


def citypersons_input():
    """The CityPersons tree as an input of rules: built by the DAG unless it is a manual copy."""
    generated = config["datasets"]["citypersons"]["source"] == "generate"
    return citypersons_root() if generated else []


def one_of(names):
    """A wildcard constraint matching exactly ``names`` (none: matches nothing)."""
    return "|".join(names) or "(?!)"


# Rules that read the CityPersons tree (Table S1).
CITYPERSONS_RULES = {"citypersons_coco", "train_detector", "det_rank", "det_attack"}
CITYPERSONS_HOWTO = (
    "CityPersons needs a Cityscapes login: register at https://www.cityscapes-dataset.com, "
    "download leftImg8bit_trainvaltest.zip and gtBbox_cityPersons_trainval.zip, unzip both into "
    "<path> (so that <path>/leftImg8bit/val and <path>/gtBboxCityPersons/val exist) and set "
    "datasets.citypersons.path to <path>."
)


IMAGENET_RULES = set()  # rules that read the ImageNet tree; rules/*.smk add theirs


def dag_rules():
    """Names of the rules with jobs to run (once the DAG is built, as in onstart)."""
    return {job.rule.name for job in workflow.dag.needrun_jobs()}


def manual_datasets_needed():
    """Manual datasets the configured DAG reads, as (name, path, subfolders, instructions)."""
    needed = []
    cfg = config["datasets"]["imagenet"]
    if cfg["source"] == "manual" and (
        _imagenet_encoder["source"] == "train" or IMAGENET_RULES & dag_rules()
    ):
        needed.append(
            (
                "ImageNet",
                cfg.get("path", ""),
                ["train", "val"],
                "ImageNet needs a login: get ILSVRC2012 from https://image-net.org, put the "
                "training images in <path>/train/<wnid>/*.JPEG and the validation images sorted "
                "into <path>/val/<wnid>/*.JPEG, and set datasets.imagenet.path to <path>.",
            )
        )
    if config["datasets"]["cityscapes"]["source"] == "manual" and (
        CITYSCAPES_RULES & dag_rules()
    ):
        splits = {"val", config["seg_attack"]["rank_split"]}
        if _deeplab_encoder["source"] == "train":
            splits.add("train")
        folders = [
            f"{d}/{s}" for d in ("leftImg8bit", "gtFine") for s in sorted(splits)
        ]
        needed.append(("Cityscapes", cityscapes_root(), folders, CITYSCAPES_HOWTO))
    if config["datasets"]["citypersons"]["source"] == "manual" and (
        CITYPERSONS_RULES & dag_rules()
    ):
        splits = {"val", config["table_s1"]["rank_split"]}
        folders = [
            f"{d}/{s}"
            for d in ("leftImg8bit", "gtBboxCityPersons")
            for s in sorted(splits)
        ]
        needed.append(
            (
                "CityPersons",
                config["datasets"]["citypersons"].get("path", ""),
                folders,
                CITYPERSONS_HOWTO,
            )
        )
    return needed


def check_manual_datasets():
    """Stop before any job runs when a dataset the DAG needs cannot be had."""
    for name, path, folders, how in manual_datasets_needed():
        if not path or not all((Path(path) / f).is_dir() for f in folders):
            raise WorkflowError(f"{name} not found at {path!r}. {how}")
    if "download_cityscapes" in dag_rules() and not (
        os.environ.get("CITYSCAPES_USERNAME") and os.environ.get("CITYSCAPES_PASSWORD")
    ):
        raise WorkflowError(
            "Cityscapes download needs CITYSCAPES_USERNAME and CITYSCAPES_PASSWORD in the "
            f"environment. {CITYSCAPES_HOWTO}"
        )
