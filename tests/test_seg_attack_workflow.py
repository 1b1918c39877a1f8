"""The segmentation attack end to end: tiny-config artefacts, the paper preset's DAG and errors,
and (the honest check) the mini preset's measured effects."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from chanpos.channels import read_ranking
from chanpos.claims import HOLDS, retained_share
from chanpos.regions import REGIONS
from tests.workflow import REPO, TINY, output, snakemake

pytestmark = pytest.mark.workflow
TARGETS = ("fig_seg_attack", "fig_s3", "fig_s4")
TINY_CFG = yaml.safe_load(TINY.read_text())["seg_attack"]
MINI_CFG = yaml.safe_load((REPO / "config.yaml").read_text())["seg_attack"]
TINY_MODELS = [
    f"seed{s}"
    for s in yaml.safe_load(TINY.read_text())["encoders"]["deeplabv3_cityscapes"]["train"]["seeds"]
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The three figures built with the tiny config from an empty directory."""
    workdir = tmp_path_factory.mktemp("seg_tiny")
    result = snakemake(workdir, "--cores", "2", *TARGETS, configs=(TINY,), timeout=900)
    assert result.returncode == 0, output(result)[-4000:]
    return workdir


def test_tiny_long_table_has_every_model_ranking_n_seed_and_region(tiny):
    long = pd.read_csv(tiny / "results/tiny/tables/seg_attack.csv")
    assert list(long.columns) == ["model", "ranking", "n", "seed", "region", "miou"]
    ns, seeds = sorted({0, *TINY_CFG["n"]}), TINY_CFG["seeds"]
    assert len(TINY_MODELS) >= 2 and list(dict.fromkeys(long.model)) == TINY_MODELS
    assert len(long) == len(TINY_MODELS) * (3 + len(seeds)) * len(ns) * len(REGIONS)
    assert set(long.ranking) == {"overall", "left", "right", "random"}
    assert set(long.region) == set(REGIONS) and sorted(set(long.n)) == ns
    assert long.miou.between(0, 1).all()
    assert long.loc[long.ranking != "random", "seed"].isna().all()
    assert sorted(long.loc[long.ranking == "random", "seed"].unique()) == seeds
    base = long[long.n == 0].groupby(["model", "region"]).miou.nunique()
    assert (base == 1).all()  # N = 0 is each unmodified model, whatever the ranking
    summary = json.loads((tiny / "results/tiny/tables/seg_attack.json").read_text())
    assert [run["model"] for run in summary["runs"]] == TINY_MODELS
    for run in summary["runs"]:
        assert {"config_hash", "git_revision", "seed", "device"} <= set(run["provenance"])
        # the provenance names the segmenter's training seed, not one job seed shared by all
        assert f"seed{run['provenance']['seed']}" == run["model"]
        unmodified = long[(long.n == 0) & (long.model == run["model"])].groupby("region").miou
        assert run["baseline_miou"] == pytest.approx(unmodified.first().to_dict())


@pytest.mark.parametrize("model", TINY_MODELS)
def test_tiny_rankings_are_in_the_authors_shape_with_the_assumption_named(tiny, model):
    rankings = tiny / f"results/tiny/seg_attack/{model}/rankings"
    arch = yaml.safe_load(TINY.read_text())["encoders"]["deeplabv3_cityscapes"]["arch"]
    channels = 32 * arch["width"]
    for name in ("overall", "left", "right"):
        blob = json.loads((rankings / f"{name}.json").read_text())
        assert list(blob) == [name] and sorted(blob[name]) == list(range(channels))
    summary = json.loads((tiny / f"results/tiny/seg_attack/{model}/rankings.json").read_text())
    assert summary["model"] == model
    assert "Assumption" in summary["definitions"]["right"]
    assert summary["sets"]["left"] and summary["sets"]["right"]
    assert not set(summary["sets"]["left"]) & set(summary["sets"]["right"])
    assert summary["reference"] == {} and "provenance" in summary


def test_tiny_figures_and_their_numbers(tiny):
    figures = tiny / "results/tiny/figures"
    for stem in TARGETS:
        for ext in ("pdf", "png"):
            assert (figures / f"{stem}.{ext}").stat().st_size > 5000, stem
    curve = pd.read_csv(figures / "fig_seg_attack.csv")
    assert list(curve.columns) == ["ranking", "region", "n", "mean", "std", "runs"]
    assert set(curve.ranking) == {"overall", "random"}
    random_runs = len(TINY_MODELS) * len(TINY_CFG["seeds"])  # (segmenter, draw)
    assert set(curve.loc[curve.ranking == "random", "runs"]) == {random_runs}
    assert set(curve.loc[curve.ranking == "overall", "runs"]) == {len(TINY_MODELS)}
    for stem, ranking in (("fig_s3", "right"), ("fig_s4", "left")):
        drops = pd.read_csv(figures / f"{stem}.csv")
        assert set(drops.ranking) == {ranking} and set(drops.region) == {"left", "right"}
        assert list(dict.fromkeys(drops.model)) == TINY_MODELS
        expected = (drops.baseline - drops.miou) / drops.baseline
        assert np.allclose(drops.relative_drop, expected, equal_nan=True)  # NaN: mIoU 0 at N = 0


def test_tiny_second_run_does_nothing(tiny):
    result = snakemake(tiny, "--cores", "1", "-n", *TARGETS, configs=(TINY,))
    assert result.returncode == 0, output(result)
    assert "Nothing to be done" in output(result)


def test_ten_segmenter_overlay_trains_ten_deeplabs_on_the_mini_data(tmp_path):
    overlay = REPO / "configs" / "mini_segmenters10.yaml"
    result = snakemake(tmp_path, "-n", *TARGETS, configs=(overlay,))
    text = output(result)
    assert result.returncode == 0, text
    for rule in ("train_deeplabv3_cityscapes", "seg_rank", "seg_attack"):
        assert text.count(f"rule {rule}:") == 10, rule
    assert "results/mini_segmenters10/tables/seg_attack.csv" in text
    assert "resources/mini/cityscapes" in text  # the mini preset's data, generated once
    assert f"snakemake --cores all {' '.join(TARGETS)} --configfile configs/" in overlay.read_text()


def test_paper_preset_dry_run_lists_the_seg_attack_dag(tmp_path):
    result = snakemake(tmp_path, "-n", "-p", *TARGETS, configs=(REPO / "config.paper.yaml",))
    text = output(result)
    assert result.returncode == 0, text
    for rule in ("import_deeplabv3_cityscapes", "seg_rank", "seg_attack", "make_seg_attack_figure"):
        assert f"rule {rule}:" in text, rule
    assert "generate_cityscapes" not in text and "gpu=1" in text


def test_missing_cityscapes_stops_at_once_with_instructions(tmp_path):
    cfg = {"datasets": {"cityscapes": {"source": "manual", "path": str(tmp_path / "nowhere")}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    configs = (TINY, tmp_path / "c.yaml")
    dry = snakemake(tmp_path, "-n", "fig_s3", configs=configs)
    assert dry.returncode == 0, output(dry)  # the DAG is listed without the dataset
    result = snakemake(tmp_path, "--cores", "1", "fig_s3", configs=configs)
    assert result.returncode != 0
    text = output(result)
    assert "Cityscapes not found" in text and "nowhere" in text
    assert "cityscapes-dataset.com" in text and "CITYSCAPES_USERNAME" in text
    assert not (tmp_path / "results").exists()


def test_cityscapes_download_without_credentials_stops_with_instructions(tmp_path, monkeypatch):
    cfg = {"datasets": {"cityscapes": {"source": "download"}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.delenv("CITYSCAPES_USERNAME", raising=False)
    monkeypatch.delenv("CITYSCAPES_PASSWORD", raising=False)
    result = snakemake(tmp_path, "--cores", "1", "fig_s4", configs=(TINY, tmp_path / "c.yaml"))
    assert result.returncode != 0
    text = output(result)
    assert "CITYSCAPES_USERNAME and CITYSCAPES_PASSWORD" in text and "cityscapesscripts" in text
    assert not (tmp_path / "resources").exists()


def _vainf_checkpoint(path, arch):
    """A randomly initialised DeepLabv3 saved the way DeepLabV3Plus-Pytorch saves one."""
    from chanpos.models.deeplab import DeepLabV3

    model = DeepLabV3(19, **arch)
    state = {
        k.replace("classifier.", "classifier.classifier.", 1): v
        for k, v in model.state_dict().items()
    }
    torch.save({"model_state": state, "best_score": np.float64(0.7), "cur_itrs": 10}, path)
    return model.eval()


def test_paper_checkpoint_is_imported_by_pinned_hash_and_refused_unpinned(tmp_path):
    arch = yaml.safe_load(TINY.read_text())["encoders"]["deeplabv3_cityscapes"]["arch"]
    weights = tmp_path / "zero_padding_best_deeplabv3_resnet50_cityscapes_os16.pth"
    reference = _vainf_checkpoint(weights, arch)
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    url = weights.as_uri()
    cfg = {"encoders": {"deeplabv3_cityscapes": {"url": url, "sha256": sha, "arch": arch}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    configs = (REPO / "config.paper.yaml", tmp_path / "c.yaml")
    target = "results/paper/encoders/deeplabv3_cityscapes/vainf.pt"
    result = snakemake(tmp_path / "pinned", "--cores", "1", target, configs=configs)
    assert result.returncode == 0, output(result)
    from chanpos.checkpoints import load_checkpoint

    model = load_checkpoint(tmp_path / "pinned" / target).eval()
    x = torch.randn(1, 3, 32, 64)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))

    cfg["encoders"]["deeplabv3_cityscapes"]["sha256"] = None
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    result = snakemake(tmp_path / "unpinned", "--cores", "1", target, configs=configs)
    assert result.returncode != 0
    log = tmp_path / "unpinned/logs/paper/encoders/deeplabv3_cityscapes/vainf.log"
    assert "sha256 is not pinned" in log.read_text() and "sha256sum" in log.read_text()
    assert not (tmp_path / "unpinned/resources/paper/downloads").exists()  # nothing fetched


def _run_with_encoder(workdir, encoder, *args, base=TINY):
    """snakemake in ``workdir`` with ``encoders.deeplabv3_cityscapes`` set to ``encoder``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "c.yaml").write_text(yaml.safe_dump({"encoders": {"deeplabv3_cityscapes": encoder}}))
    return snakemake(workdir, *args, configs=(base, workdir / "c.yaml"))


def test_mmseg_checkpoint_is_checked_then_ranked_and_attacked_by_config_alone(tmp_path):
    from chanpos.checkpoints import load_checkpoint
    from chanpos.models.mmseg_config import EXAMPLE
    from chanpos.models.mmseg_deeplab import MMSegDeepLabV3
    from tests.test_mmseg_deeplab import SMALL, write_mmengine_checkpoint

    weights = tmp_path / "deeplabv3_r18-d8_small_cityscapes.pth"
    write_mmengine_checkpoint(weights)
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    encoder = {"source": "mmseg", "config": EXAMPLE, "overrides": SMALL, "url": weights.as_uri()}
    target = "results/tiny/encoders/deeplabv3_cityscapes/mmseg.pt"
    bad = _run_with_encoder(tmp_path / "bad", {**encoder, "sha256": "0" * 64}, "-c1", target)
    assert bad.returncode != 0
    assert f"sha256 mismatch for resources/tiny/downloads/{weights.name}" in output(bad)
    assert not (tmp_path / "bad/results").exists()

    good = _run_with_encoder(tmp_path / "good", {**encoder, "sha256": sha}, "-c1", "fig_seg_attack")
    assert good.returncode == 0, output(good)[-4000:]
    results = tmp_path / "good/results/tiny"
    assert isinstance(load_checkpoint(results / target.split("tiny/")[1]), MMSegDeepLabV3)
    for name in ("overall", "left", "right"):  # 64 latent channels: the small model's last stage
        ranking = read_ranking(results / f"seg_attack/mmseg/rankings/{name}.json")
        assert sorted(ranking) == list(range(64))
    long = pd.read_csv(results / "tables/seg_attack.csv")
    assert set(long.model) == {"mmseg"} and set(long.ranking) == {
        "overall",
        "left",
        "right",
        "random",
    }
    assert long.miou.between(0, 1).all() and set(long.n) == {0, *TINY_CFG["n"]}
    notes = (results / "figures/fig_seg_attack.md").read_text()
    assert "mmsegmentation's published checkpoint" in notes and weights.name in notes
    assert "(deviation: output stride 8, the paper's DeepLabv3 has 16)" in notes


def _paper_mmseg_alternative():
    """The mmseg alternative written as a comment in config.paper.yaml."""
    keys = ("source", "config", "url", "sha256")
    lines = (REPO / "config.paper.yaml").read_text().splitlines()
    block = [line[6:] for line in lines if line.startswith(tuple(f"    # {k}: " for k in keys))]
    return yaml.safe_load("\n".join(block))


def test_paper_preset_mmseg_alternative_is_valid_and_not_compared_with_the_authors(tmp_path):
    encoder = _paper_mmseg_alternative()
    assert encoder["source"] == "mmseg" and encoder["sha256"] is None
    base = REPO / "config.paper.yaml"
    dry = _run_with_encoder(tmp_path, encoder, "-n", "-p", "fig_seg_attack", base=base)
    text = output(dry)
    assert dry.returncode == 0, text
    assert "rule import_deeplabv3_cityscapes:" in text and "rule seg_rank:" in text
    assert "reference/deeplabv3_resnet50" not in text  # another model's channel indices
    wrong = {**encoder, "config": "deeplabv3/deeplabv3_r50-d8_nothing.py"}
    result = _run_with_encoder(tmp_path, wrong, "-n", "fig_seg_attack", base=base)
    assert result.returncode != 0
    assert "encoders.deeplabv3_cityscapes.config: no mmseg config" in output(result)


# ---------------------------------------------------------------- the mini preset's effects


MINI_SEEDS = yaml.safe_load((REPO / "config.yaml").read_text())["encoders"]["deeplabv3_cityscapes"][
    "train"
]["seeds"]


def _verdicts(workdir, claim: str) -> dict[int, str]:
    """The mini run's verdict on ``claim`` (SA-overall, SA-left, SA-right) per N > 0."""
    claims = pd.read_csv(workdir / "results/mini/claims.csv").set_index("id")
    return {n: claims.loc[f"{claim}-n{n}", "verdict"] for n in MINI_CFG["n"] if n > 0}


def test_mini_segmenters_work_and_their_claims_pool_them(mini):
    assert len(MINI_SEEDS) >= 3 and len(MINI_CFG["seeds"]) >= 3
    long = retained_share(pd.read_csv(mini / "results/mini/tables/seg_attack.csv"))
    unmodified = long[(long.n == 0) & (long.region == "overall")].groupby("model").miou.first()
    assert sorted(unmodified.index) == sorted(f"seed{s}" for s in MINI_SEEDS)
    assert (unmodified > 0.5).all(), unmodified  # every segmenter works before any zeroing
    claims = pd.read_csv(mini / "results/mini/claims.csv")
    sa = claims[claims.id.str.startswith("SA-")]
    assert len(sa) == 3 * len([n for n in MINI_CFG["n"] if n > 0])
    assert (sa.lhs_n == len(MINI_SEEDS)).all() and (sa.rhs_n == len(MINI_SEEDS)).all()
    assert sa.assumptions.str.contains("paired by segmenter").all()


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="measured (mini, 3 segmenters, CPU, 1 thread each): the top-N overall channels keep "
    "less of each segmenter's mIoU than N random ones in all three at N = 16 and 64 (99.4 vs "
    "98.9 % and 91.7 vs 88.0 %: holds), but not at N = 8, 32 or 128, where the segmenters "
    "disagree (inconclusive; at 128 one of them loses less to its top channels). Over ten "
    "segmenters it is inconclusive at every N (tools/seg_side_probe.md, section 7).",
)
def test_mini_targeted_overall_channels_cost_more_than_random_ones(mini):
    verdicts = _verdicts(mini, "SA-overall")
    assert set(verdicts.values()) == {HOLDS}, verdicts


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="measured (mini, 3 segmenters): right-specific channels' excess asymmetry over random "
    "is inconclusive at every N (one segmenter shows it at every N, one the reverse). Over ten "
    "segmenters it holds at N = 16 to 64 (tools/seg_side_probe.md, section 7).",
)
def test_mini_right_specific_channels_cost_more_on_the_right_half(mini):
    verdicts = _verdicts(mini, "SA-right")
    assert set(verdicts.values()) == {HOLDS}, verdicts


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="measured (mini, 3 segmenters): left-specific channels' excess asymmetry over random "
    "is inconclusive at every N (one segmenter shows it at every N, one the reverse). Over ten "
    "segmenters it holds at N = 8 to 64 (tools/seg_side_probe.md, section 7).",
)
def test_mini_left_specific_channels_cost_more_on_the_left_half(mini):
    verdicts = _verdicts(mini, "SA-left")
    assert set(verdicts.values()) == {HOLDS}, verdicts


def test_mini_every_job_wrote_a_log_and_a_benchmark(mini):
    bench = {
        f.relative_to(mini / "benchmarks/mini").as_posix()
        for f in (mini / "benchmarks/mini").rglob("*.tsv")
    }
    models = [f"seed{s}" for s in MINI_SEEDS]
    expected = {"data/generate_cityscapes.tsv", "seg_attack/table.tsv"}
    expected |= {f"encoders/deeplabv3_cityscapes/{m}.tsv" for m in models}
    expected |= {f"seg_attack/{m}/{step}.tsv" for m in models for step in ("rank", "attack")}
    expected |= {f"figures/{t}.tsv" for t in TARGETS}
    assert expected <= bench, bench
    assert all((mini / "logs/mini" / b.replace(".tsv", ".log")).exists() for b in expected)
