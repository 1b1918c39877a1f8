"""The paper's claims, each decided from a result table by a bootstrap over seeds.

A :class:`Claim` compares two :class:`Side` s of one long-format result table (one row per run,
a ``seed`` column and a value column). A side is ``offset + sum(weight * mean of a group)``,
where a group is the seeds of one condition (e.g. ``grid=3, task="location", head="gapnet"``),
so "A beats B", "A is above chance" and "the A-B gap exceeds the C-D gap" are one kind of object.

The test: the difference ``lhs - rhs`` gets a percentile bootstrap interval over seeds. Each
group's values are resampled with replacement, independently of the other groups (unpaired), and
the difference is recomputed from the resampled means, ``n_boot`` times; each claim draws from
its own numpy generator seeded with ``(seed, crc32(claim.id))``, so adding a claim changes no
other claim's interval. The verdict:

* ``"greater"`` (lhs > rhs): holds if the interval lies above 0, does not hold if it lies
  below 0, and is inconclusive if it contains 0;
* ``"near"`` (|lhs - rhs| <= margin, an equivalence test): holds if the interval lies within
  ``[-margin, margin]``, does not hold if it lies entirely outside, and is inconclusive otherwise;
* any claim with fewer than 2 seeds in one of its groups is inconclusive.

A claim ``paired_by`` a column (e.g. the segmenter a run belongs to) is bootstrapped over that
column's values instead: each resample draws units with replacement and keeps every group's runs
of a unit together, so each side is a mean over the drawn units of the unit's group means (a
cluster bootstrap); its ``n`` is the number of units.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from chanpos.reports.fig_s1 import fig_s1_notes
from chanpos.reports.seg_attack import seg_attack_notes
from chanpos.reports.shift import assumptions as shift_notes
from chanpos.reports.table1 import table1_notes
from chanpos.reports.table_s1 import PAPER, table_s1_notes
from chanpos.shift_spec import model_label
from chanpos.tables import mean_sd

HOLDS, FAILS, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
SEP = " | "  # between the assumptions of one claim in claims.csv

Where = Mapping[str, Any]


@dataclass(frozen=True)
class Side:
    """``offset + sum(weight * mean(value of the rows matching where))``."""

    label: str
    terms: tuple[tuple[float, Where], ...] = ()
    offset: float = 0.0


def group(label: str, **where: Any) -> Side:
    """The mean over the seeds of one condition."""
    return Side(label, ((1.0, where),))


def constant(label: str, value: float) -> Side:
    """A known value, e.g. chance accuracy."""
    return Side(label, (), value)


def gap(label: str, a: Where, b: Where) -> Side:
    """The difference of two conditions' means."""
    return Side(label, ((1.0, a), (-1.0, b)))


@dataclass(frozen=True)
class Claim:
    """One claim of the paper: ``lhs`` vs ``rhs`` under ``test`` on the column ``value`` of the
    result table named ``source``; ``paper`` is the paper's value where known, ``assumptions``
    what the measurement depends on."""

    id: str
    section: str
    statement: str
    source: str
    lhs: Side
    rhs: Side
    test: Literal["greater", "near"] = "greater"
    margin: float = 0.0
    paper: str = ""
    assumptions: tuple[str, ...] = ()
    value: str = "accuracy"
    paired_by: str | None = None


def _percentile_interval(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of bootstrap statistics."""
    stats = stats.round(12)  # float noise must not decide a verdict at exactly 0
    tail = 50 * (1 - confidence)
    lo, hi = np.percentile(stats, [tail, 100 - tail])
    return float(lo), float(hi)


def bootstrap_interval(
    samples: Sequence[np.ndarray],
    weights: Sequence[float],
    offset: float,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile interval of ``offset + sum(w * mean(x))``, each ``x`` resampled on its own."""
    stats = np.full(n_boot, float(offset))
    for w, x in zip(weights, samples, strict=True):
        stats += w * x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
    return _percentile_interval(stats, confidence)


def cluster_bootstrap_interval(
    unit_means: np.ndarray,
    weights: Sequence[float],
    offset: float,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile interval of ``offset + sum(w * mean over units of the group's unit means)``,
    the units (rows of ``unit_means``, one column per group) resampled together."""
    draws = rng.integers(0, len(unit_means), size=(n_boot, len(unit_means)))
    stats = offset + unit_means[draws].mean(axis=1) @ np.asarray(weights, dtype=float)
    return _percentile_interval(stats, confidence)


def verdict(low: float, high: float, n: int, test: str, margin: float = 0.0) -> str:
    """Holds / does not hold / inconclusive, from the interval and the fewest seeds in a group."""
    if n < 2:
        return INCONCLUSIVE
    if test == "greater":
        return HOLDS if low > 0 else FAILS if high < 0 else INCONCLUSIVE
    if test == "near":
        if -margin <= low and high <= margin:
            return HOLDS
        return FAILS if low > margin or high < -margin else INCONCLUSIVE
    raise ValueError(f"unknown test {test!r}; choose 'greater' or 'near'")


def _matching(table: pd.DataFrame, where: Where) -> np.ndarray:
    """Boolean mask of the rows of ``table`` whose columns equal ``where``'s values."""
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return mask


def _key(where: Where) -> tuple:
    return tuple(sorted(where.items()))


def _side_stats(side: Side, samples: Mapping[tuple, np.ndarray]) -> tuple[float, float, int | None]:
    """Mean, seed-to-seed sd (groups independent) and fewest seeds of a side; n None if constant."""
    if not side.terms:
        return side.offset, 0.0, None
    xs = [(w, samples[_key(where)]) for w, where in side.terms]
    if any(len(x) == 0 for _, x in xs):
        return math.nan, math.nan, 0
    mean = side.offset + sum(w * float(x.mean()) for w, x in xs)
    var = sum(w * w * (float(x.var(ddof=1)) if len(x) > 1 else 0.0) for w, x in xs)
    return mean, math.sqrt(var), min(len(x) for _, x in xs)


def evaluate(
    claim: Claim, table: pd.DataFrame, n_boot: int, confidence: float, seed: int
) -> dict[str, Any]:
    """Measure both sides of ``claim`` on ``table`` and decide it; one row of claims.csv."""
    weights: dict[tuple, float] = {}
    for sign, side in ((1.0, claim.lhs), (-1.0, claim.rhs)):
        for w, where in side.terms:
            weights[_key(where)] = weights.get(_key(where), 0.0) + sign * w
    rows = {key: table.loc[_matching(table, dict(key))] for key in weights}
    if claim.paired_by:  # one value per unit and group: the unit's mean
        means = {k: r.groupby(claim.paired_by)[claim.value].mean() for k, r in rows.items()}
        units = sorted(set.intersection(*(set(m.index) for m in means.values())))
        samples = {k: m.loc[units].to_numpy(dtype=float) for k, m in means.items()}
    else:
        samples = {k: r[claim.value].to_numpy(dtype=float) for k, r in rows.items()}
    lhs, rhs = _side_stats(claim.lhs, samples), _side_stats(claim.rhs, samples)
    n = min((len(x) for x in samples.values()), default=0)
    low = high = math.nan
    if n > 0:
        rng = np.random.default_rng([seed, zlib.crc32(claim.id.encode())])
        offset = claim.lhs.offset - claim.rhs.offset
        if claim.paired_by:
            low, high = cluster_bootstrap_interval(
                np.column_stack(list(samples.values())),
                list(weights.values()),
                offset,
                n_boot,
                confidence,
                rng,
            )
        else:
            low, high = bootstrap_interval(
                list(samples.values()), list(weights.values()), offset, n_boot, confidence, rng
            )
    return {
        "id": claim.id,
        "section": claim.section,
        "statement": claim.statement,
        "source": claim.source,
        "lhs": claim.lhs.label,
        "lhs_mean": lhs[0],
        "lhs_sd": lhs[1],
        "lhs_n": lhs[2],
        "rhs": claim.rhs.label,
        "rhs_mean": rhs[0],
        "rhs_sd": rhs[1],
        "rhs_n": rhs[2],
        "difference": lhs[0] - rhs[0],
        "ci_low": low,
        "ci_high": high,
        "confidence": confidence,
        "test": claim.test,
        "margin": claim.margin,
        "paper": claim.paper,
        "verdict": verdict(low, high, n, claim.test, claim.margin),
        "assumptions": SEP.join(claim.assumptions),
    }


# The catalogue: one function per result table, returning the claims decided on it.

BOOTSTRAP_NOTE = (
    "Seeds are independent draws of a run's randomness (initialisation, data order, canvas "
    "cells); each group's seeds are resampled independently (unpaired). A resampled mean "
    "cannot leave the range of its group's seeds, so with 3 seeds the interval is about as "
    "wide as that range and covers less than its nominal level."
)
PAPER_LEGEND = (
    "Paper column: [CODE] the authors' released result file (GAPNet, 3x3 grid, 9 test passes); "
    "[BLOG] a second-hand summary of the paper, grid not stated, low confidence (NOTES.md 2.4); "
    "empty: the paper's value is not known (only in a figure, or not found)."
)


def near_chance(
    id: str,
    section: str,
    statement: str,
    source: str,
    side: Side,
    chance: Side,
    margin: float,
    notes: tuple[str, ...],
) -> Claim:
    """``side`` is within ``margin`` of chance (an equivalence test); the margin is named."""
    note = (
        f"'Near chance' means the interval of (accuracy - chance) lies within ±{margin * 100:g} "
        "points: an equivalence margin chosen for this reproduction, not given by the paper."
    )
    return Claim(
        id, section, statement, source, side, chance, "near", margin, assumptions=(*notes, note)
    )


def table1_claims(table: pd.DataFrame, config: dict) -> list[Claim]:
    """Main Sec. 3, Table 1: per grid, GAPNet vs PermuteNet, chance, and the dichotomy."""
    margin = config["claims"]["near_chance_margin"]
    notes = (*table1_notes(config), BOOTSTRAP_NOTE)
    section = "Sec. 3, Table 1"
    claims = []
    for grid in sorted(int(g) for g in table["grid"].unique()):
        size = f"{grid}x{grid} grid"
        loc, rec = {"grid": grid, "task": "location"}, {"grid": grid, "task": "recognition"}
        gapnet = group("GAPNet", **loc, head="gapnet")
        permutenet = group("PermuteNet", **loc, head="permutenet")
        chance = constant("chance", 1 / grid**2)
        claims += [
            Claim(
                f"T1-g{grid}-location",
                section,
                f"GAPNet decodes location better than PermuteNet ({size})",
                "table1",
                gapnet,
                permutenet,
                paper="gap ≈ 22 pts [BLOG]",
                assumptions=notes,
            ),
            Claim(
                f"T1-g{grid}-gapnet-chance",
                section,
                f"GAPNet decodes location above chance ({size})",
                "table1",
                gapnet,
                chance,
                paper="GAPNet 100.0 [CODE]" if grid == 3 else "",
                assumptions=notes,
            ),
            near_chance(
                f"T1-g{grid}-permutenet-chance",
                section,
                f"PermuteNet cannot decode location: it is near chance ({size})",
                "table1",
                permutenet,
                chance,
                margin,
                notes,
            ),
            Claim(
                f"T1-g{grid}-dichotomy",
                section,
                f"Permuting channels costs less accuracy on recognition than on location ({size})",
                "table1",
                gap("location gap", {**loc, "head": "gapnet"}, {**loc, "head": "permutenet"}),
                gap("recognition gap", {**rec, "head": "gapnet"}, {**rec, "head": "permutenet"}),
                paper="≈ 12 pts [BLOG]",
                assumptions=notes,
            ),
        ]
    return claims


ENCODER_NAMES = {"imagenet_resnet18": "ImageNet classifier", "voc_resnet18": "VOC segmenter"}


def fig_s1_claims(table: pd.DataFrame, config: dict) -> list[Claim]:
    """Supplement S1, Fig. S1: per frozen encoder, GAPNet vs ShuffleNet readout, and chance."""
    margin = config["claims"]["near_chance_margin"]
    notes = (*fig_s1_notes(config), BOOTSTRAP_NOTE)
    chance = constant("chance", 1 / config["fig_s1"]["grid"] ** 2)
    section = "Supp. S1, Fig. S1"
    claims = []
    for encoder in dict.fromkeys(table["encoder"]):
        name = f"the frozen {ENCODER_NAMES.get(encoder, encoder)}"
        gapnet = group("GAPNet", encoder=encoder, readout="gapnet")
        shufflenet = group("ShuffleNet", encoder=encoder, readout="shufflenet")
        claims += [
            Claim(
                f"S1-{encoder}-readouts",
                section,
                f"GAPNet decodes location from {name} better than ShuffleNet",
                "fig_s1",
                gapnet,
                shufflenet,
                assumptions=notes,
            ),
            Claim(
                f"S1-{encoder}-gapnet-chance",
                section,
                f"GAPNet decodes location from {name} above chance",
                "fig_s1",
                gapnet,
                chance,
                assumptions=notes,
            ),
            near_chance(
                f"S1-{encoder}-shufflenet-chance",
                section,
                f"ShuffleNet fails to decode location from {name}: it is near chance",
                "fig_s1",
                shufflenet,
                chance,
                margin,
                notes,
            ),
        ]
    return claims


def _shift_pair(
    id: str, statement: str, source: str, a: str, b: str, arch: str, notes: tuple, **where: Any
) -> Claim:
    """Model ``a`` is more shift-consistent than model ``b`` (on the rows matching ``where``)."""
    return Claim(
        id,
        "Sec. 4.1, Table 2" if source == "table2" else "Supp. S2, Fig. S2",
        statement,
        source,
        group(model_label(a, arch), model=a, **where),
        group(model_label(b, arch), model=b, **where),
        paper=PAPER_SHIFT.get((source, a, b), ""),
        assumptions=notes,
        value="consistency",
    )


# Zhang (2019)'s published ResNet-50 numbers (NOTES.md 3.2); the paper's Table 2 is not known.
PAPER_SHIFT = {("table2", "blurpool_k2", "resnet50"): "89.96 vs 89.20 [EXT, Zhang 2019]"}
SHIFT_PAIRS = (  # (a, b, why): a should be more consistent than b
    ("augshift", "resnet50", "AugShift is more shift-consistent than the plain ResNet"),
    ("augshift_blurpool_k2", "blurpool_k2", "AugShift adds shift consistency to BlurPool-k2"),
    ("blurpool_k2", "resnet50", "BlurPool-k2 is more shift-consistent than the plain ResNet"),
)


def table2_claims(table: pd.DataFrame, config: dict) -> list[Claim]:
    """Main Sec. 4.1, Table 2: Zhang consistency of AugShift and BlurPool vs their baselines."""
    cfg = config["shift"]
    notes = (*shift_notes(cfg), BOOTSTRAP_NOTE)
    models = set(table["model"])
    return [
        _shift_pair(f"T2-{a}-vs-{b}", why, "table2", a, b, cfg["arch"], notes)
        for a, b, why in SHIFT_PAIRS
        if {a, b} <= models
    ]


def fig_s2_claims(table: pd.DataFrame, config: dict) -> list[Claim]:
    """Supplement S2, Fig. S2: AugShift above the plain ResNet at every shift (one claim each)."""
    cfg = config["shift"]
    notes = (*shift_notes(cfg), BOOTSTRAP_NOTE)
    if not {"augshift", "resnet50"} <= set(table["model"]):
        return []
    return [
        _shift_pair(
            f"S2-augshift-shift{s}",
            f"AugShift is more consistent than the plain ResNet at a {s} px shift",
            "fig_s2",
            "augshift",
            "resnet50",
            cfg["arch"],
            notes,
            shift=s,
        )
        for s in sorted(int(s) for s in table["shift"].unique())
    ]


SIDE_NOTE = (
    "A ranking is one deterministic run (no seeds): a targeting claim compares its value with "
    "those of N random channels, whose seeds give the interval; a side claim compares the "
    "ranking's left-right asymmetry of the relative drop with that of the random channels."
)
SEGMENTERS_NOTE = (
    "Sec. 4.2 values are shares of each segmenter's unmodified mIoU on the same region. With "
    "several segmenters (training seeds), the interval resamples segmenters, each keeping its "
    "ranking's run and the mean of its random draws together (paired by segmenter); with one "
    "segmenter, the ranking's value is a constant and only the random draws vary."
)


def retained_share(table: pd.DataFrame) -> pd.DataFrame:
    """The attack table with ``retained`` = mIoU / the same segmenter's unmodified mIoU on the
    same region: what the Sec. 4.2 claims compare, free of the segmenters' differing baselines.
    Undefined (NaN) where that mIoU is 0: a segmenter with nothing to lose decides nothing."""
    base = table[(table.ranking == "overall") & (table.n == 0)].set_index(["model", "region"])
    keys = list(zip(table.model, table.region, strict=True))
    miou, unmodified = table.miou.to_numpy(dtype=float), base.miou.loc[keys].to_numpy(dtype=float)
    retained = np.divide(miou, unmodified, out=np.full_like(miou, np.nan), where=unmodified > 0)
    return table.assign(retained=retained)


def _rows(table: pd.DataFrame, where: Where) -> np.ndarray:
    return table.loc[_matching(table, where), "retained"].to_numpy(dtype=float)


def _ranked(label: str, terms: tuple[tuple[float, Where], ...], table: pd.DataFrame) -> Side:
    """A ranking's side: a constant when each term is a single run (one segmenter), else the
    runs of every segmenter."""
    values = [_rows(table, where) for _, where in terms]
    if all(len(v) == 1 for v in values):
        return constant(
            label, sum(w * float(v[0]) for (w, _), v in zip(terms, values, strict=True))
        )
    return Side(label, terms)


def _asymmetry(where: Where, side: str, other: str) -> tuple[tuple[float, Where], ...]:
    """drop(side) - drop(other) = retained(other) - retained(side)."""
    return ((1.0, {**where, "region": other}), (-1.0, {**where, "region": side}))


def seg_attack_claims(table: pd.DataFrame, config: dict) -> list[Claim]:
    """Main Sec. 4.2 and Figs. S3/S4, per N: the top-N overall channels cost more mIoU than N
    random ones; left- (right-) specific channels hurt their own half more, beyond random.
    ``table`` is the attack table with :func:`retained_share`'s column."""
    notes = (*seg_attack_notes(config), SIDE_NOTE, SEGMENTERS_NOTE, BOOTSTRAP_NOTE)
    paired = "model" if table["model"].nunique() > 1 else None
    claims = []
    for n in sorted(int(n) for n in table["n"].unique() if n > 0):
        random = {"ranking": "random", "n": n}
        top = ((1.0, {"ranking": "overall", "n": n, "region": "overall"}),)
        claims.append(
            Claim(
                f"SA-overall-n{n}",
                "Sec. 4.2, targeting",
                f"Zeroing the top {n} overall position channels costs more mIoU than {n} random "
                "channels",
                "seg_attack",
                group(f"mIoU retained, {n} random", **random, region="overall"),
                _ranked(f"mIoU retained, top {n}", top, table),
                assumptions=notes,
                value="retained",
                paired_by=paired,
            )
        )
        for side, other, fig in (
            ("left", "right", "Supp. S3, Fig. S4"),
            ("right", "left", "Supp. S3, Fig. S3"),
        ):
            ranked = _asymmetry({"ranking": side, "n": n}, side, other)
            claims.append(
                Claim(
                    f"SA-{side}-n{n}",
                    fig,
                    f"Zeroing the top {n} {side}-specific channels hurts the {side} half more "
                    f"than the {other} half, beyond {n} random channels",
                    "seg_attack",
                    _ranked(f"{side}-specific: drop({side}) - drop({other})", ranked, table),
                    Side(
                        f"random: drop({side}) - drop({other})",
                        _asymmetry(random, side, other),
                    ),
                    assumptions=notes,
                    value="retained",
                    paired_by=paired,
                )
            )
    return claims


def table_s1_claims(table: pd.DataFrame, config: dict) -> list[Claim]:
    """Supplement S4, Table S1, per detector: zeroing the top-N Eq. 2 neck channels raises
    MR^-2 (All) more than N random channels."""

    notes = (*table_s1_notes(config), SIDE_NOTE, BOOTSTRAP_NOTE)
    claims = []
    for detector in dict.fromkeys(table["detector"]):
        rows = table[(table.detector == detector) & (table.setup == "all")]
        targeted = rows.loc[rows.variant == "targeted", "mr"].to_numpy(dtype=float)
        paper = f"{PAPER[(detector, 'targeted')][3]} vs {PAPER[(detector, 'random')][3]}"
        claims.append(
            Claim(
                f"TS1-{detector}",
                "Supp. S4, Table S1",
                f"Zeroing the top-N position channels raises MR^-2 (All) of {detector} more "
                "than N random channels",
                "table_s1",
                constant("MR^-2 All, top N", float(targeted[0])),
                group("MR^-2 All, N random", detector=detector, variant="random", setup="all"),
                paper=f"{paper} [Table S1]",
                assumptions=notes,
                value="mr",
            )
        )
    return claims


CATALOGUE: dict[str, Callable[[pd.DataFrame, dict], list[Claim]]] = {
    "table1": table1_claims,
    "fig_s1": fig_s1_claims,
    "table2": table2_claims,
    "fig_s2": fig_s2_claims,
    "seg_attack": seg_attack_claims,
    "table_s1": table_s1_claims,
}
# Columns a source's claims compare that its table does not hold, derived before deciding.
DERIVED: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {"seg_attack": retained_share}


def claim_table(source: str, table: pd.DataFrame) -> pd.DataFrame:
    """The table ``source``'s claims are built and decided on: its result table and the
    columns :data:`DERIVED` adds."""
    return DERIVED[source](table) if source in DERIVED else table


def paper_claims(tables: Mapping[str, pd.DataFrame], config: dict) -> pd.DataFrame:
    """Every catalogued claim whose result table is in ``tables``, decided: one row per claim."""
    cfg = config["claims"]
    tables = {source: claim_table(source, t) for source, t in tables.items()}
    rows = [
        evaluate(claim, tables[source], cfg["bootstrap"], cfg["confidence"], cfg["seed"])
        for source, build in CATALOGUE.items()
        if source in tables
        for claim in build(tables[source], config)
    ]
    out = pd.DataFrame(rows)
    out[["lhs_n", "rhs_n"]] = out[["lhs_n", "rhs_n"]].astype("Int64")
    return out


def claims_summary(claims: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table people read (values in %) and its notes: the numbered assumptions."""
    numbers: dict[str, int] = {}
    refs = []
    for text in claims["assumptions"]:
        ids = sorted(numbers.setdefault(a, len(numbers) + 1) for a in text.split(SEP) if a)
        refs.append(", ".join(f"A{i}" for i in ids))

    def side(prefix: str, row: pd.Series) -> str:
        label, mean, sd, n = (row[prefix + k] for k in ("", "_mean", "_sd", "_n"))
        return f"{label} {mean * 100:.1f}" if pd.isna(n) else f"{label} {mean_sd(mean, sd, n)}"

    def interval(row: pd.Series) -> str:
        if pd.isna(row["ci_low"]):
            return "n/a"
        return f"[{row['ci_low'] * 100:+.1f}, {row['ci_high'] * 100:+.1f}]"

    wide = pd.DataFrame(
        {
            "claim": claims["id"],
            "section": claims["section"],
            "statement": claims["statement"],
            "measured": [side("lhs", r) for _, r in claims.iterrows()],
            "compared with": [side("rhs", r) for _, r in claims.iterrows()],
            "paper": claims["paper"],
            "test": [
                "difference > 0" if t == "greater" else f"difference within ±{m * 100:g} pts"
                for t, m in zip(claims["test"], claims["margin"], strict=True)
            ],
            "interval": [interval(r) for _, r in claims.iterrows()],
            "verdict": claims["verdict"],
            "assumptions": refs,
        }
    )
    notes = [
        "Values in % (accuracy, consistency, MR^-2; Sec. 4.2: the share of the unmodified mIoU "
        "retained, and for the side claims differences of relative mIoU drops); "
        "'interval': the difference's "
        f"{claims['confidence'].iloc[0]:.0%} percentile bootstrap interval over seeds, in "
        "points.",
        PAPER_LEGEND,
        *(f"A{i}: {text}" for text, i in numbers.items()),
    ]
    return wide, notes
