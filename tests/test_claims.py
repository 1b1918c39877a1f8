"""Claims are decided from result tables: a clear effect holds, a reversed one does not, noise
or a single seed is inconclusive."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from chanpos.claims import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    SEP,
    Claim,
    bootstrap_interval,
    claims_summary,
    constant,
    evaluate,
    gap,
    group,
    paper_claims,
    retained_share,
    verdict,
)
from chanpos.reports.fig_s1 import fig_s1_notes
from chanpos.reports.table1 import table1_notes
from chanpos.tables import mean_sd
from tests.workflow import REPO

CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def _table1_csv(tmp_path, accuracies: dict[tuple[str, str], list[float]], grid: int = 3):
    """A table1.csv as make_table1 writes it, read back: (task, head) -> one accuracy per seed."""
    rows = [
        {"grid": grid, "task": task, "head": head, "seed": seed, "accuracy": acc}
        for (task, head), values in accuracies.items()
        for seed, acc in enumerate(values)
    ]
    path = tmp_path / "table1.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return pd.read_csv(path)


def _fig_s1_csv(tmp_path, accuracies: dict[tuple[str, str], list[float]]):
    rows = [
        {"encoder": encoder, "readout": readout, "seed": seed, "accuracy": acc}
        for (encoder, readout), values in accuracies.items()
        for seed, acc in enumerate(values)
    ]
    path = tmp_path / "fig_s1.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return pd.read_csv(path)


def _decide(table: pd.DataFrame, claim: Claim) -> dict:
    return evaluate(claim, table, n_boot=2000, confidence=0.95, seed=0)


def _location_claim() -> Claim:
    return Claim(
        "t",
        "Sec. 3",
        "GAPNet beats PermuteNet",
        "table1",
        group("GAPNet", task="location", head="gapnet"),
        group("PermuteNet", task="location", head="permutenet"),
    )


@pytest.mark.parametrize(
    ("gapnet", "permutenet", "expected"),
    [
        ([0.99, 1.0, 0.98], [0.12, 0.10, 0.15], HOLDS),  # a clear effect
        ([0.12, 0.10, 0.15], [0.99, 1.0, 0.98], FAILS),  # reversed
        ([0.2, 0.6, 0.3, 0.5], [0.4, 0.1, 0.55, 0.35], INCONCLUSIVE),  # noise
        ([1.0], [0.1], INCONCLUSIVE),  # one seed, however large the effect
        ([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], INCONCLUSIVE),  # no difference at all
    ],
)
def test_difference_of_means_verdict(tmp_path, gapnet, permutenet, expected):
    table = _table1_csv(
        tmp_path, {("location", "gapnet"): gapnet, ("location", "permutenet"): permutenet}
    )
    row = _decide(table, _location_claim())
    assert row["verdict"] == expected, row
    assert row["lhs_mean"] == pytest.approx(np.mean(gapnet))
    assert row["rhs_mean"] == pytest.approx(np.mean(permutenet))
    assert row["lhs_n"] == len(gapnet) and row["rhs_n"] == len(permutenet)
    assert row["lhs_sd"] == pytest.approx(np.std(gapnet, ddof=1) if len(gapnet) > 1 else 0.0)
    assert row["ci_low"] <= row["difference"] <= row["ci_high"]


@pytest.mark.parametrize(
    ("accuracies", "expected"),
    [
        ([0.10, 0.12, 0.11], HOLDS),  # within 10 points of chance (1/9)
        ([0.60, 0.65, 0.70], FAILS),  # far above it
        ([0.05, 0.15, 0.28], INCONCLUSIVE),  # the interval reaches past the margin
        ([0.11], INCONCLUSIVE),  # one seed
    ],
)
def test_near_chance_is_an_equivalence_test_with_a_stated_margin(tmp_path, accuracies, expected):
    table = _table1_csv(tmp_path, {("location", "permutenet"): accuracies})
    claim = Claim(
        "near",
        "Sec. 3",
        "PermuteNet is near chance",
        "table1",
        group("PermuteNet", task="location", head="permutenet"),
        constant("chance", 1 / 9),
        test="near",
        margin=0.1,
    )
    row = _decide(table, claim)
    assert row["verdict"] == expected, row
    assert row["rhs_mean"] == pytest.approx(1 / 9) and pd.isna(row["rhs_n"])


def test_gap_of_gaps_compares_two_differences(tmp_path):
    claim = Claim(
        "dichotomy",
        "Sec. 3",
        "permuting costs less on recognition",
        "table1",
        gap(
            "location gap",
            {"task": "location", "head": "gapnet"},
            {"task": "location", "head": "permutenet"},
        ),
        gap(
            "recognition gap",
            {"task": "recognition", "head": "gapnet"},
            {"task": "recognition", "head": "permutenet"},
        ),
    )
    big, small = ([0.99, 1.0, 0.98], [0.2, 0.25, 0.22]), ([0.6, 0.62, 0.61], [0.55, 0.57, 0.56])
    table = _table1_csv(
        tmp_path,
        {
            ("location", "gapnet"): big[0],
            ("location", "permutenet"): big[1],
            ("recognition", "gapnet"): small[0],
            ("recognition", "permutenet"): small[1],
        },
    )
    row = _decide(table, claim)
    assert row["verdict"] == HOLDS
    expected = (np.mean(big[0]) - np.mean(big[1])) - (np.mean(small[0]) - np.mean(small[1]))
    assert row["difference"] == pytest.approx(expected)
    swapped = table.assign(
        task=table.task.map({"location": "recognition", "recognition": "location"})
    )
    assert _decide(swapped, claim)["verdict"] == FAILS


def test_a_missing_condition_is_inconclusive_not_an_error(tmp_path):
    table = _table1_csv(tmp_path, {("location", "gapnet"): [1.0, 1.0, 1.0]})
    row = _decide(table, _location_claim())
    assert row["verdict"] == INCONCLUSIVE and row["rhs_n"] == 0 and pd.isna(row["ci_low"])


def test_bootstrap_is_seeded_and_resamples_within_each_group():
    values = np.random.default_rng(0).uniform(size=17)
    a, b = values[:9], values[9:]

    def draw(seed):
        return bootstrap_interval([a, b], [1.0, -1.0], 0.0, 5000, 0.9, np.random.default_rng(seed))

    assert draw(1) == draw(1) and draw(1) != draw(2)
    low, high = draw(1)
    assert a.min() - b.max() <= low < a.mean() - b.mean() < high <= a.max() - b.min()
    # mean([0.1] * 3) - 0.1 is 1.4e-17 in floating point: that must not make "> 0" hold
    tie = bootstrap_interval([np.full(3, 0.1)], [1.0], -0.1, 100, 0.9, np.random.default_rng(0))
    assert tie == (0.0, 0.0)


def test_verdict_rules():
    assert verdict(0.01, 0.2, 3, "greater") == HOLDS
    assert verdict(-0.2, -0.01, 3, "greater") == FAILS
    assert verdict(0.0, 0.2, 3, "greater") == INCONCLUSIVE
    assert verdict(0.01, 0.2, 1, "greater") == INCONCLUSIVE
    assert verdict(-0.05, 0.05, 3, "near", 0.1) == HOLDS
    assert verdict(0.15, 0.3, 3, "near", 0.1) == FAILS
    assert verdict(0.05, 0.15, 3, "near", 0.1) == INCONCLUSIVE
    with pytest.raises(ValueError, match="unknown test"):
        verdict(0.0, 1.0, 3, "less")


def test_catalogue_decides_table1_and_fig_s1_from_their_csvs(tmp_path):
    table1 = _table1_csv(
        tmp_path,
        {
            ("location", "gapnet"): [1.0, 1.0, 0.99],
            ("location", "permutenet"): [0.10, 0.13, 0.12],
            ("recognition", "gapnet"): [0.5, 0.52, 0.49],
            ("recognition", "permutenet"): [0.41, 0.45, 0.43],
        },
    )
    fig_s1 = _fig_s1_csv(
        tmp_path,
        {
            ("imagenet_resnet18", "gapnet"): [0.95, 0.97, 0.96],
            ("imagenet_resnet18", "shufflenet"): [0.11, 0.10, 0.12],
            ("voc_resnet18", "gapnet"): [0.10, 0.12, 0.11],  # this encoder fails
            ("voc_resnet18", "shufflenet"): [0.60, 0.65, 0.62],
        },
    )
    claims = paper_claims({"table1": table1, "fig_s1": fig_s1}, CONFIG).set_index("id")
    assert claims.loc["T1-g3-location", "verdict"] == HOLDS
    assert claims.loc["T1-g3-gapnet-chance", "verdict"] == HOLDS
    assert claims.loc["T1-g3-permutenet-chance", "verdict"] == HOLDS
    assert claims.loc["T1-g3-dichotomy", "verdict"] == HOLDS
    assert claims.loc["S1-imagenet_resnet18-readouts", "verdict"] == HOLDS
    assert claims.loc["S1-imagenet_resnet18-shufflenet-chance", "verdict"] == HOLDS
    assert claims.loc["S1-voc_resnet18-readouts", "verdict"] == FAILS
    assert claims.loc["S1-voc_resnet18-shufflenet-chance", "verdict"] == FAILS
    assert claims.loc["T1-g3-gapnet-chance", "paper"] == "GAPNet 100.0 [CODE]"
    assumptions = claims.loc["T1-g3-permutenet-chance", "assumptions"].split(SEP)
    assert any("grid sizes are unknown" in a for a in assumptions)
    assert any("±10 points" in a and "not given by the paper" in a for a in assumptions)
    assert any(
        "frozen" in a.lower()
        for a in claims.loc["S1-voc_resnet18-readouts", "assumptions"].split(SEP)
    )

    # adding claims (another table) leaves every other claim's interval as it was
    alone = paper_claims({"table1": table1}, CONFIG).set_index("id")
    pd.testing.assert_frame_equal(alone, claims.loc[alone.index])


def test_summary_numbers_each_assumption_once(tmp_path):
    table1 = _table1_csv(tmp_path, {("location", "gapnet"): [1.0, 1.0]}, grid=2)
    claims = paper_claims({"table1": table1}, CONFIG)
    wide, notes = claims_summary(claims)
    assert list(wide["claim"]) == list(claims["id"])
    numbered = [n for n in notes if n.startswith("A")]
    assert len(numbered) == len({a for text in claims.assumptions for a in text.split(SEP)})
    assert wide.loc[wide.claim == "T1-g2-permutenet-chance", "test"].item() == (
        "difference within ±10 pts"
    )
    assert wide.loc[wide.claim == "T1-g2-location", "measured"].item() == "GAPNet 100.0 ± 0.0 (n=2)"
    assert "|" not in "".join(wide["test"])  # a pipe would break the Markdown table


def test_notes_name_the_paper_presets_data_and_weights():
    def merge(base: dict, over: dict) -> dict:
        return {
            k: merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
            for k, v in {**base, **over}.items()
        }

    mini = yaml.safe_load((REPO / "config.yaml").read_text())
    paper = merge(mini, yaml.safe_load((REPO / "config.paper.yaml").read_text()))
    mini_s1, paper_s1 = " ".join(fig_s1_notes(mini)), " ".join(fig_s1_notes(paper))
    assert "generated ImageNet-format data" in mini_s1 and "generated VOC-format" in mini_s1
    assert "torchvision's published ImageNet weights (resnet18-f37072fd.pth)" in paper_s1
    assert "on VOC 2012" in paper_s1 and "of CIFAR-10 images" in paper_s1
    assert table1_notes(paper)[0].startswith("Canvases of CIFAR-10 images.")
    assert table1_notes(mini)[0].startswith("Canvases of generated CIFAR-10-format images.")


def test_catalogue_decides_table2_and_fig_s2_on_consistency(tmp_path):
    consistency = {  # model -> one value per seed; BlurPool here is *less* consistent
        "resnet50": [0.88, 0.89, 0.87],
        "blurpool_k2": [0.84, 0.85, 0.83],
        "augshift": [0.92, 0.93, 0.91],
        "augshift_blurpool_k2": [0.90, 0.91, 0.89],
    }
    rows = [
        {"model": m, "seed": seed, "top1": 0.8, "consistency": c}
        for m, values in consistency.items()
        for seed, c in enumerate(values)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "table2.csv", index=False)
    shifts = [  # AugShift above the baseline at shift 1, equal (noisy) at 2, below at 4
        {"model": m, "shift": s, "seed": seed, "consistency": base + delta}
        for s, delta in [(1, 0.05), (2, 0.0), (4, -0.05)]
        for seed, base in enumerate([0.80, 0.85, 0.82])
        for m, delta in [("resnet50", 0.0), ("augshift", delta)]
    ]
    pd.DataFrame(shifts).to_csv(tmp_path / "fig_s2.csv", index=False)
    tables = {name: pd.read_csv(tmp_path / f"{name}.csv") for name in ("table2", "fig_s2")}
    claims = paper_claims(tables, CONFIG).set_index("id")
    assert claims.loc["T2-augshift-vs-resnet50", "verdict"] == HOLDS
    assert claims.loc["T2-augshift_blurpool_k2-vs-blurpool_k2", "verdict"] == HOLDS
    assert claims.loc["T2-blurpool_k2-vs-resnet50", "verdict"] == FAILS
    assert "Zhang 2019" in claims.loc["T2-blurpool_k2-vs-resnet50", "paper"]
    assert claims.loc["S2-augshift-shift1", "verdict"] == HOLDS
    assert claims.loc["S2-augshift-shift2", "verdict"] == INCONCLUSIVE
    assert claims.loc["S2-augshift-shift4", "verdict"] == FAILS
    assumptions = claims.loc["S2-augshift-shift1", "assumptions"]
    assert "lambda unknown" in assumptions and "Fig. S2 construction" in assumptions


def _seg_rows(model: str, base: float, ranked: dict, random: list[float]) -> list[dict]:
    """One segmenter's attack table at N = 0 and 8: ``ranked`` per ranking and region (0.45
    where not given), ``random`` per draw for every region."""
    rows = [
        {"model": model, "ranking": k, "n": 0, "seed": None, "region": r, "miou": base}
        for k in ("overall", "left", "right")
        for r in ("overall", "left", "right", "center")
    ]
    for k, regions in ranked.items():
        for r in ("overall", "left", "right", "center"):
            value = regions.get(r, 0.45)
            rows.append(
                {"model": model, "ranking": k, "n": 8, "seed": None, "region": r, "miou": value}
            )
    for seed, v in enumerate(random):
        for r in ("overall", "left", "right", "center"):
            rows.append(
                {"model": model, "ranking": "random", "n": 8, "seed": seed, "region": r, "miou": v}
            )
    return rows


def _seg_claims(tmp_path, rows):
    pd.DataFrame(rows).to_csv(tmp_path / "seg_attack.csv", index=False)
    table = pd.read_csv(tmp_path / "seg_attack.csv")
    return paper_claims({"seg_attack": table}, CONFIG).set_index("id")


def test_seg_attack_claims_compare_rankings_with_random_draws(tmp_path):
    # N = 8: the ranked channels hurt more than random; the left ones hurt the left half
    ranked = {
        "overall": {"overall": 0.30},
        "left": {"left": 0.20, "right": 0.50},
        "right": {"left": 0.40, "right": 0.40},
    }  # right-specific: no asymmetry
    claims = _seg_claims(tmp_path, _seg_rows("seed0", 0.60, ranked, [0.50, 0.52, 0.48]))
    assert claims.loc["SA-overall-n8", "verdict"] == HOLDS
    assert claims.loc["SA-overall-n8", "rhs_mean"] == pytest.approx(0.30 / 0.60)
    assert pd.isna(claims.loc["SA-overall-n8", "rhs_n"])  # one segmenter: a constant
    assert claims.loc["SA-left-n8", "verdict"] == HOLDS
    assert claims.loc["SA-left-n8", "lhs_mean"] == pytest.approx(
        (0.6 - 0.2) / 0.6 - (0.6 - 0.5) / 0.6
    )
    assert claims.loc["SA-right-n8", "verdict"] == INCONCLUSIVE  # 0 asymmetry, random's is 0 too
    assert "beyond 8 random channels" in claims.loc["SA-left-n8", "statement"]
    assert "no seeds" in claims.loc["SA-left-n8", "assumptions"]


def test_seg_attack_claims_pair_each_segmenters_runs_as_shares_of_its_baseline(tmp_path):
    # three segmenters with different unmodified mIoU (0.4, 0.6, 0.8) and different robustness:
    # their random draws keep 70, 80 or 90 % of it and their top 8 channels 5 points less. The
    # groups overlap; paired by segmenter, every one of them loses more to its top 8.
    rows = []
    for model, base, kept in (("seed0", 0.4, 0.7), ("seed1", 0.6, 0.8), ("seed2", 0.8, 0.9)):
        top = {"overall": base * (kept - 0.05)}
        ranked = {"overall": top, "left": {"left": base * 0.7, "right": base * 0.9}}
        ranked["right"] = {"left": base * 0.7, "right": base * 0.9}  # hurts the wrong half
        draws = [base * (kept + d) for d in (-0.01, 0.0, 0.01)]
        rows += _seg_rows(model, base, ranked, draws)
    claims = _seg_claims(tmp_path, rows)
    overall = claims.loc["SA-overall-n8"]
    assert overall["verdict"] == HOLDS
    assert (overall["lhs_n"], overall["rhs_n"]) == (3, 3)  # segmenters
    assert overall["difference"] == pytest.approx(0.05)
    assert overall["ci_low"] == pytest.approx(0.05)  # every resample: the same paired gap
    assert claims.loc["SA-left-n8", "verdict"] == HOLDS
    assert claims.loc["SA-left-n8", "lhs_mean"] == pytest.approx(0.2)
    assert claims.loc["SA-right-n8", "verdict"] == FAILS
    assert "paired by segmenter" in overall["assumptions"]
    # unpaired, the same numbers decide nothing: the segmenters' spread hides the gap
    random = group("random", ranking="random", n=8, region="overall")
    top = group("top 8", ranking="overall", n=8, region="overall")
    claim = Claim("unpaired", "", "", "seg_attack", random, top, value="retained")
    unpaired = evaluate(claim, retained_share(pd.DataFrame(rows)), 2000, 0.95, 0)
    assert unpaired["verdict"] == INCONCLUSIVE
    # one segmenter reverses the effect: three segmenters no longer decide it
    rows = [r for r in rows if not (r["model"] == "seed2" and r["ranking"] == "overall" and r["n"])]
    rows += _seg_rows("seed2", 0.8, {"overall": {"overall": 0.8}}, [])[-4:]
    mixed = _seg_claims(tmp_path, rows).loc["SA-overall-n8"]
    assert mixed["verdict"] == INCONCLUSIVE and mixed["rhs_n"] == 3


def test_retained_share_is_undefined_where_a_segmenter_scores_zero():
    rows = _seg_rows("seed0", 0.5, {}, [0.25])
    rows = [{**r, "miou": 0.0} if r["region"] == "left" else r for r in rows]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warning
        table = retained_share(pd.DataFrame(rows))
    left = table.region == "left"
    assert table.loc[left, "retained"].isna().all()
    assert table.loc[~left & (table.ranking == "random"), "retained"].tolist() == [0.5] * 3


def test_table_s1_claims_compare_targeted_zeroing_with_random_draws(tmp_path):
    rows = []
    for detector, targeted in (("faster_rcnn", 0.60), ("csp", 0.45)):
        rows.append({"detector": detector, "variant": "baseline", "seed": None, "mr": 0.40})
        rows.append({"detector": detector, "variant": "targeted", "seed": None, "mr": targeted})
        for seed, mr in enumerate([0.48, 0.50, 0.52]):
            rows.append({"detector": detector, "variant": "random", "seed": seed, "mr": mr})
    rows = [{**r, "setup": s} for r in rows for s in ("reasonable", "all")]
    pd.DataFrame(rows).to_csv(tmp_path / "table_s1.csv", index=False)
    claims = paper_claims({"table_s1": pd.read_csv(tmp_path / "table_s1.csv")}, CONFIG)
    claims = claims.set_index("id")
    assert claims.loc["TS1-faster_rcnn", "verdict"] == HOLDS  # 0.60 above every random draw
    assert claims.loc["TS1-csp", "verdict"] == FAILS  # 0.45 below them
    assert claims.loc["TS1-faster_rcnn", "paper"] == "34.36 vs 31.92 [Table S1]"


def test_mean_sd_cells_never_read_minus_zero():
    assert mean_sd(-7e-7, 0.0024, 3) == "0.0 ± 0.2 (n=3)"
    assert mean_sd(-0.0123, 0.01, 3) == "-1.2 ± 1.0 (n=3)"
    assert mean_sd(0.98899, 0.0003, 3) == "98.9 ± 0.0 (n=3)"
