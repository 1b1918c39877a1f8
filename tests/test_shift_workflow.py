"""Table 2 and Fig. S2 end to end: the tiny config's outputs, published weights, the paper
preset's DAG and ImageNet check, and the mini preset's evidence for AugShift."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import torch
import yaml

from chanpos.models.shift_resnet import build_resnet
from tests.workflow import REPO, TINY, output, snakemake

pytestmark = pytest.mark.workflow

MODELS = ["resnet50", "blurpool_k2", "augshift", "augshift_blurpool_k2"]


def _check_outputs(workdir, preset: str, cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.read_csv(workdir / f"results/{preset}/tables/table2.csv")
    assert list(table.columns) == ["model", "seed", "top1", "consistency"]
    assert list(dict.fromkeys(table.model)) == cfg["models"]
    assert table[["top1", "consistency"]].stack().between(0, 1).all()
    fig = pd.read_csv(workdir / f"results/{preset}/figures/fig_s2.csv")
    assert list(fig.columns) == ["model", "shift", "seed", "consistency"]
    assert sorted(fig["shift"].unique()) == sorted(cfg["eval"]["shifts"])
    assert len(fig) == len(table) * len(cfg["eval"]["shifts"])
    assert fig["consistency"].between(0, 1).all()
    md = (workdir / f"results/{preset}/tables/table2.md").read_text()
    for words in ("Assumption", "lambda", "crop scheme", "Fig. S2 construction", "config hash"):
        assert words in md, md
    assert r"\begin{table}" in (workdir / f"results/{preset}/tables/table2.tex").read_text()
    for ext in ("pdf", "png"):
        assert (workdir / f"results/{preset}/figures/fig_s2.{ext}").stat().st_size > 5000
    return table, fig


def _config(*paths) -> dict:
    cfg: dict = {}
    for path in paths:
        for key, value in yaml.safe_load(path.read_text())["shift"].items():
            cfg[key] = value if not isinstance(value, dict) else {**cfg.get(key, {}), **value}
    return cfg


def test_tiny_config_builds_table2_and_fig_s2_with_every_rule_logged(tmp_path):
    result = snakemake(tmp_path, "--cores", "2", "table2", "fig_s2", configs=(TINY,))
    assert result.returncode == 0, output(result)[-4000:]
    cfg = _config(REPO / "config.yaml", TINY)
    table, _ = _check_outputs(tmp_path, "tiny", cfg)
    assert list(table.seed) == [0] * 4
    for rule in ("train_augshift_seed0", "train_blurpool_k2_seed0"):
        assert (tmp_path / f"benchmarks/tiny/shift/{rule}.tsv").exists()
        assert (tmp_path / f"logs/tiny/shift/{rule}.log").exists()
    assert "rule eval_shift" not in output(result)  # a trained model is evaluated by its job
    assert not list((tmp_path / "results/tiny/shift/models").glob("*.resume.pt"))


def test_published_weights_are_imported_by_pinned_sha256(tmp_path):
    weights = {}
    for name, filter_size in [("resnet50", 1), ("blurpool_k2", 2)]:
        net = build_resnet("resnet10", filter_size)
        path = tmp_path / f"{name}-weights.pth"
        # torchvision's files are plain state dicts; antialiased-cnns' wrap one in "state_dict"
        torch.save(net.state_dict() if filter_size == 1 else {"state_dict": net.state_dict()}, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        pin = digest if filter_size == 1 else digest[:8]  # full digest, or torch.hub's prefix
        weights[name] = {"url": path.as_uri(), "sha256": pin}
    # Published weights are 64-wide: the tiny preset's narrow width is refused before any job.
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"shift": {"weights": weights}}))
    configs = (TINY, tmp_path / "c.yaml")
    result = snakemake(tmp_path / "narrow", "--cores", "1", "table2", configs=configs)
    assert result.returncode != 0 and "shift.width: 64 was expected" in output(result)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"shift": {"width": 64, "weights": weights}}))
    result = snakemake(tmp_path, "--cores", "2", "table2", configs=configs)
    assert result.returncode == 0, output(result)[-4000:]
    assert "rule import_shift_model" in output(result) and "rule eval_shift" in output(result)
    for name in weights:
        meta = json.loads((tmp_path / f"results/tiny/shift/models/{name}_seed0.json").read_text())
        assert meta["source"] == "published" and meta["sha256"].startswith(weights[name]["sha256"])
    assert "published" in (tmp_path / "results/tiny/tables/table2.md").read_text()

    weights["blurpool_k2"]["sha256"] = "0" * 8
    bad = {"width": 64, "weights": weights, "models": ["blurpool_k2"]}  # no training to wait for
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"shift": bad}))
    work = tmp_path / "bad"
    result = snakemake(work, "--cores", "1", "table2", configs=configs)
    assert result.returncode != 0
    assert "blurpool_k2-weights.pth" in output(result) and "00000000" in output(result)


def test_paper_preset_dry_run_lists_imagenet_training_on_gpus(tmp_path):
    result = snakemake(
        tmp_path, "-n", "-p", "table2", "fig_s2", configs=(REPO / "config.paper.yaml",)
    )
    text = output(result)
    assert result.returncode == 0, text
    for rule in ("download", "import_shift_model", "train_shift_model", "eval_shift"):
        assert f"rule {rule}:" in text
    assert "resnet50-0676ba61.pth" in text and "resnet50_lpf2-f0f7589d.pth" in text
    assert "augshift_blurpool_k2_seed0" in text and "gpu=4" in text


def test_ten_seed_overlay_trains_every_model_ten_times_on_the_mini_data(tmp_path):
    overlay = REPO / "configs" / "mini_seeds10.yaml"
    result = snakemake(tmp_path, "-n", "table2", "fig_s2", configs=(overlay,))
    text = output(result)
    assert result.returncode == 0, text
    assert text.count("rule train_shift_model:") == 4 * 10
    assert "results/mini_seeds10/tables/table2.csv" in text
    assert "resources/mini/imagenet" in text  # the mini preset's data, generated once
    assert "snakemake --cores all table2 fig_s2 --configfile configs/mini_seeds10.yaml" in (
        overlay.read_text()
    )


def test_missing_imagenet_stops_table2_before_any_job(tmp_path):
    cfg = {"datasets": {"imagenet": {"path": str(tmp_path / "nowhere")}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    configs = (REPO / "config.paper.yaml", tmp_path / "c.yaml")
    result = snakemake(tmp_path, "--cores", "1", "table2", configs=configs)
    text = output(result)
    assert result.returncode != 0
    assert "ImageNet not found" in text and "image-net.org" in text and "nowhere" in text
    assert not (tmp_path / "resources").exists() and not (tmp_path / "results").exists()


def test_mini_table2_and_fig_s2_cover_every_model_and_seed(mini):
    cfg = _config(REPO / "config.yaml")
    table, fig = _check_outputs(mini, "mini", cfg)
    assert (
        len(cfg["seeds"]) >= 3 and (table.groupby("model").seed.count() == len(cfg["seeds"])).all()
    )
    md = (mini / "results/mini/tables/table2.md").read_text()
    assert "±" in md and "BlurPool-k2" in md


@pytest.mark.xfail(
    strict=True,
    reason="measured (mini, CPU, 3 seeds): AugShift 94.9 +- 0.9 % vs the plain ResNet's 94.9 +- "
    "0.8 % in Table 2; in Fig. S2 below it at 6 and 9 px (92.7 vs 93.3, 90.4 vs 90.8 %). With "
    "the input pipeline on PIL images (same crops, pixels within one level) it was above at every "
    "shift: each run moves by about a point with such changes, as much as the effect "
    "(tools/augshift_probe.md, third probe). Over 10 seeds the gain is real and small, +0.45 "
    "+- 0.31 points, and Fig. S2 decides 1 shift of 6 (fifth probe).",
)
def test_mini_augshift_is_more_shift_consistent_than_the_baseline_at_every_shift(mini):
    table = pd.read_csv(mini / "results/mini/tables/table2.csv")
    fig = pd.read_csv(mini / "results/mini/figures/fig_s2.csv")
    means = fig.groupby(["shift", "model"]).consistency.mean().unstack()
    assert (means["augshift"] > means["resnet50"]).all(), means
    zhang = table.groupby("model").consistency.mean()
    assert zhang["augshift"] > zhang["resnet50"], zhang


@pytest.mark.xfail(
    strict=True,
    reason="measured (mini, CPU, 3 seeds): AugShift + BlurPool-k2 is above BlurPool-k2 in Table 2 "
    "(95.9 +- 0.6 vs 95.3 +- 0.8 %) but not in Fig. S2: below it at 1, 6, 7 and 9 px (e.g. "
    "98.4 +- 0.5 vs 98.9 +- 0.2 % at 1 px).",
)
def test_mini_augshift_adds_shift_consistency_on_top_of_blurpool(mini):
    fig = pd.read_csv(mini / "results/mini/figures/fig_s2.csv")
    means = fig.groupby(["shift", "model"]).consistency.mean().unstack()
    assert (means["augshift_blurpool_k2"] > means["blurpool_k2"]).all(), means
