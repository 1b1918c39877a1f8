"""The workflow end to end: the mini preset's artefacts, targets, presets and clear errors."""

from __future__ import annotations

import hashlib
import json
import tarfile
import zipfile

import pandas as pd
import pytest
import torch
import yaml
from torchvision.models import resnet18

from chanpos.claims import CATALOGUE, FAILS, HOLDS, INCONCLUSIVE, claim_table
from tests.workflow import REPO, TINY, output, snakemake

pytestmark = pytest.mark.workflow


def test_table1_shows_gapnet_decodes_location_and_permutenet_does_not(mini):
    long = pd.read_csv(mini / "results/mini/tables/table1.csv")
    assert list(long.columns) == ["grid", "task", "head", "seed", "accuracy"]
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())["table1"]
    expected = len(cfg["grid_sizes"]) * len(cfg["tasks"]) * len(cfg["heads"]) * len(cfg["seeds"])
    assert len(long) == expected
    assert long["accuracy"].between(0, 1).all()
    loc = long[long.task == "location"].groupby(["grid", "head"]).accuracy.agg(["mean", "min"])
    for grid in cfg["grid_sizes"]:
        gap, perm = loc.loc[(grid, "gapnet")], loc.loc[(grid, "permutenet")]
        assert gap["min"] > 0.9, loc
        assert gap["mean"] - perm["mean"] > 0.4, loc
    md = (mini / "results/mini/tables/table1.md").read_text()
    assert "gapnet" in md and "±" in md and "config hash" in md
    assert r"\begin{table}" in (mini / "results/mini/tables/table1.tex").read_text()
    run = next((mini / "results/mini/table1/runs").glob("*.json"))
    prov = json.loads(run.read_text())["provenance"]
    assert {"config_hash", "git_revision", "git_dirty", "seed", "device", "packages"} <= set(prov)


def test_fig_s1_shows_gapnet_readout_beats_shufflenet_on_frozen_encoders(mini):
    data = pd.read_csv(mini / "results/mini/figures/fig_s1.csv")
    assert list(data.columns) == ["encoder", "readout", "seed", "accuracy"]
    means = data.groupby(["encoder", "readout"]).accuracy.mean().unstack()
    chance = 1 / yaml.safe_load((REPO / "config.yaml").read_text())["fig_s1"]["grid"] ** 2
    assert (means["gapnet"] > 0.9).all(), means
    assert (means["gapnet"] - means["shufflenet"] > 0.4).all(), means
    assert (means["shufflenet"] < 3 * chance).all(), means
    for ext in ("pdf", "png"):
        assert (mini / f"results/mini/figures/fig_s1.{ext}").stat().st_size > 5000


def test_every_rule_wrote_a_log_and_a_benchmark(mini):
    benchmarks = list((mini / "benchmarks/mini").rglob("*.tsv"))
    logs = list((mini / "logs/mini").rglob("*.log"))
    assert len(benchmarks) >= 20 and len(logs) >= 20
    assert "cpu_time" in benchmarks[0].read_text()


def test_second_run_does_nothing(mini):
    result = snakemake(mini, "--cores", "2", "-n")
    assert result.returncode == 0, output(result)
    assert "Nothing to be done" in output(result)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Every artefact of the tiny preset (rule all), built once from an empty directory."""
    workdir = tmp_path_factory.mktemp("tiny")
    result = snakemake(workdir, "--cores", "2", configs=(TINY,))
    assert result.returncode == 0, output(result)[-4000:]
    return workdir


def test_claims_are_decided_from_the_result_tables(tiny):
    claims = pd.read_csv(tiny / "results/tiny/claims.csv")
    config = yaml.safe_load(TINY.read_text())
    files = {
        "table1": "tables/table1.csv",
        "fig_s1": "figures/fig_s1.csv",
        "table2": "tables/table2.csv",
        "fig_s2": "figures/fig_s2.csv",
        "seg_attack": "tables/seg_attack.csv",
        "table_s1": "tables/table_s1.csv",
    }
    assert set(files) == set(CATALOGUE)
    sources = {name: pd.read_csv(tiny / "results/tiny" / path) for name, path in files.items()}
    sources = {name: claim_table(name, t) for name, t in sources.items()}
    base = yaml.safe_load((REPO / "config.yaml").read_text())  # claim ids depend on data only
    ids = [c.id for name, build in CATALOGUE.items() for c in build(sources[name], base)]
    assert list(claims["id"]) == ids
    assert set(claims["verdict"]) <= {HOLDS, FAILS, INCONCLUSIVE}
    fig_s1 = claims[claims["source"] == "fig_s1"]
    assert len(config["fig_s1"]["seeds"]) == 1 and (fig_s1["verdict"] == INCONCLUSIVE).all()
    assert (claims.loc[claims["source"] == "table1", "lhs_n"] == 2).all()
    md = (tiny / "results/tiny/claims.md").read_text()
    assert "table1 runs, config hash" in md and "fig_s1 runs, git revision" in md


def test_a_rerun_from_scratch_gives_identical_tables_and_claims(tiny, tmp_path):
    result = snakemake(tmp_path, "--cores", "2", configs=(TINY,))
    assert result.returncode == 0, output(result)[-4000:]
    names = [
        f"results/tiny/{name}"
        for name in ("claims.csv", "claims.md", "tables/table1.csv", "tables/table1.md")
    ] + ["results/tiny/figures/fig_s1.csv", "results/tiny/figures/fig_s1.md"]
    for name in names:
        assert (tmp_path / name).read_bytes() == (tiny / name).read_bytes(), name


def test_report_shows_every_artefact_with_its_caption_and_provenance(tiny):
    result = snakemake(tiny, "--report", "report.zip", configs=(TINY,))
    assert result.returncode == 0, output(result)
    with zipfile.ZipFile(tiny / "report.zip") as archive:
        files = {name.rsplit("/", 1)[-1]: name for name in archive.namelist()}
        html = archive.read(files["report.html"]).decode()
        shown = {
            f: archive.read(files[f]).decode()
            for f in ("table1.html", "fig_s1.html", "claims.html")
        }
        assert {"fig_s1.pdf", "fig_s1.png"} <= set(files)
        sec4 = {"table2.html", "fig_s2.pdf", "fig_seg_attack.pdf", "fig_s3.html", "fig_s4.png"}
        assert sec4 | {"table_s1.html"} <= set(files)
    for category in (
        "Sec. 3: position is encoded channel-wise",
        "Supplement S1: location from frozen encoders",
        "Sec. 4.1: AugShift and shift consistency",
        "Sec. 4.2: position-specific channels",
        "Supp. S4: pedestrian detectors",
        "Claims: what reproduces",
    ):
        assert category in html
    for caption in (  # one line of each report/*.rst, as rendered with the tiny config
        "This report is for the <strong>tiny</strong> preset",  # workflow.rst
        "[2]; seeds [0, 1].",  # table1.rst
        "dashed line: chance (1 / 9).",  # fig_s1.rst
        "frozen encoder and readout, with chance",  # fig_s1_numbers.rst
        "interval over seeds (10000 resamples, numpy seed",  # claims.rst
    ):
        assert caption in html, caption
    for name, page in shown.items():
        assert "config hash:" in page and "git revision:" in page, name
    assert "Assumption (NOTES.md 2.4)" in shown["table1.html"]
    assert "T1-g2-location" in shown["claims.html"]


def test_a_single_figure_builds_only_what_it_needs(tmp_path):
    result = snakemake(tmp_path, "-n", "results/mini/figures/fig_s1.pdf")
    assert result.returncode == 0, output(result)
    text = output(result)
    assert "train_voc_resnet18" in text and "train_table1" not in text


def test_paper_preset_dry_run_lists_the_dag_with_gpus(tmp_path):
    result = snakemake(tmp_path, "-n", "-p", configs=(REPO / "config.paper.yaml",))
    text = output(result)
    assert result.returncode == 0, text
    for rule in ("download", "extract_cifar10", "import_imagenet_resnet18", "train_voc_resnet18"):
        assert f"rule {rule}:" in text
    assert "train_table1" in text and "gpu=1" in text
    assert "g7_location_permutenet_seed2" in text


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"tabel1": {}}, "known keys are"),
        ({"table1": {"test_passes": "ten"}}, "table1.test_passes: 'ten' is not of type 'integer'"),
        ({"table1": {"grid_sizes": [1, 3]}}, "table1.grid_sizes[0]: 1 is less than the minimum"),
        ({"table1": {"seeds": []}}, "table1.seeds: must not be empty"),
        ({"table1": {"heads": ["gapnet", "fcnet"]}}, "'fcnet' is not allowed; choose one of"),
        ({"fig_s1": {"encoders": ["vgg16"]}}, "['imagenet_resnet18', 'voc_resnet18']"),
        ({"claims": {"confidence": 1.5}}, "claims.confidence: 1.5 is greater than or equal to"),
    ],
)
def test_bad_config_stops_before_any_job_with_the_key_named(tmp_path, override, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(override))
    result = snakemake(tmp_path, "--cores", "1", configs=(bad,))
    assert result.returncode != 0
    assert expected in output(result), output(result)
    assert not (tmp_path / "resources").exists()


def test_missing_manual_imagenet_stops_at_once_with_instructions(tmp_path):
    cfg = {
        "datasets": {"imagenet": {"source": "manual", "path": str(tmp_path / "nowhere")}},
        "encoders": {"imagenet_resnet18": {"source": "train"}},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    dry = snakemake(tmp_path, "-n", "fig_s1", configs=(TINY, tmp_path / "c.yaml"))
    assert dry.returncode == 0, output(dry)  # the DAG is listed without the dataset
    result = snakemake(tmp_path, "--cores", "1", "fig_s1", configs=(TINY, tmp_path / "c.yaml"))
    assert result.returncode != 0
    text = output(result)
    assert "ImageNet not found" in text and "image-net.org" in text and "nowhere" in text
    assert not (tmp_path / "resources").exists()


def _tiny_cifar_archive(tmp_path):
    """A CIFAR-10 archive in the official layout, built with the project's writer."""
    from chanpos.data.cifar import CIFAR10_LABEL_NAMES, write_cifar10
    from chanpos.data.synthetic import make_classification_set

    write_cifar10(
        tmp_path / "src",
        make_classification_set(50, 32, seed=1),
        make_classification_set(20, 32, seed=2),
        CIFAR10_LABEL_NAMES,
    )
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return archive


def test_paper_download_path_verifies_md5_and_extracts(tmp_path):
    archive = _tiny_cifar_archive(tmp_path)
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    cfg = {"datasets": {"cifar10": {"url": archive.as_uri(), "md5": md5}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    configs = (REPO / "config.paper.yaml", tmp_path / "c.yaml")
    result = snakemake(tmp_path, "--cores", "1", "resources/paper/cifar10", configs=configs)
    assert result.returncode == 0, output(result)
    from chanpos.data.cifar import read_cifar10

    images, labels = read_cifar10(tmp_path / "resources/paper/cifar10", "test")
    assert images.shape == (20, 32, 32, 3) and len(labels) == 20

    cfg["datasets"]["cifar10"]["md5"] = "0" * 32
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    work = tmp_path / "bad"
    result = snakemake(work, "--cores", "1", "resources/paper/cifar10", configs=configs)
    assert result.returncode != 0
    assert "cifar-10-python.tar.gz" in output(result) and "0" * 32 in output(result)
    assert not (work / "resources/paper/downloads/cifar-10-python.tar.gz").exists()


def test_paper_torchvision_weights_are_imported_by_pinned_hash(tmp_path):
    weights = tmp_path / "resnet18-f37072fd.pth"
    torch.save(resnet18(weights=None).state_dict(), weights)
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    cfg = {"encoders": {"imagenet_resnet18": {"url": weights.as_uri(), "sha256": sha}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    configs = (REPO / "config.paper.yaml", tmp_path / "c.yaml")
    target = "results/paper/encoders/imagenet_resnet18.pt"
    result = snakemake(tmp_path, "--cores", "1", target, configs=configs)
    assert result.returncode == 0, output(result)
    from chanpos.checkpoints import load_checkpoint

    model = load_checkpoint(tmp_path / target)
    assert model.backbone.fc.out_features == 1000

    # a file with the pinned hash but the wrong contents stops at the import, naming the file
    torch.save({"not": torch.zeros(1)}, weights)
    cfg["encoders"]["imagenet_resnet18"]["sha256"] = hashlib.sha256(
        weights.read_bytes()
    ).hexdigest()
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    work = tmp_path / "wrong"
    result = snakemake(work, "--cores", "1", target, configs=configs)
    assert result.returncode != 0
    assert "CheckpointError" in output(result) and "not torchvision's ResNet-18" in output(result)
    assert "resnet18-f37072fd.pth" in output(result)
    assert not (work / target).exists()


def test_paper_preset_through_the_slurm_profile_requests_gpus(tmp_path):
    profile = ("--workflow-profile", str(REPO / "profiles" / "slurm"))
    result = snakemake(tmp_path, "-n", *profile, configs=(REPO / "config.paper.yaml",), slurm=True)
    text = output(result)
    assert result.returncode == 0, text
    jobs = text.split("\n\n")
    gpu_rules = {"train_table1", "train_voc_resnet18", "fig_s1_latents"}
    for job in jobs:
        rule = next(
            (line.split()[1][:-1] for line in job.splitlines() if line.startswith("rule")), None
        )
        if rule in gpu_rules:
            assert "gpu=1" in job and "slurm_partition=" in job, job


def test_mini_claims_decide_every_experiment(mini):
    claims = pd.read_csv(mini / "results/mini/claims.csv")
    assert set(claims.source) == {"table1", "fig_s1", "table2", "fig_s2", "seg_attack", "table_s1"}
    assert set(claims.verdict) <= {HOLDS, FAILS, INCONCLUSIVE}
    assert claims.assumptions.notna().all()
    for name in ("claims.md", "claims.html"):
        assert "git revision" in (mini / f"results/mini/{name}").read_text()
