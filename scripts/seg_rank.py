"""Rank DeepLabv3's latent channels by Eq. 2: overall, left- and right-specific."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.channels import compare_rankings, rank, read_ranking, write_ranking
from chanpos.checkpoints import load_checkpoint
from chanpos.job import job
from chanpos.provenance import write_result
from chanpos.reports.seg_attack import SIDE_ASSUMPTION
from chanpos.seg_attack import eval_loader, rank_segmenter_channels

cfg = snakemake.params.cfg
with job(snakemake, seed=snakemake.params.seed) as ctx:
    model = load_checkpoint(snakemake.input.model).to(ctx["device"])
    loader = eval_loader(snakemake.params.root, cfg["rank_split"], cfg["batch_size"])
    ranked = rank_segmenter_channels(
        model, loader, cfg["side_classes"], cfg["side_fraction"], ctx["device"]
    )
    orders = {name: rank(scores) for name, scores in ranked["scores"].items()}
    for name, order in orders.items():
        write_ranking(snakemake.output[name], name, order)
    names = loader.dataset.names
    result = {
        "model": snakemake.wildcards.model,
        "split": cfg["rank_split"],
        "images": len(names),
        "sets": {side: [names[i] for i in idx] for side, idx in ranked["sets"].items()},
        "definitions": {
            "overall": "mean over the split of |GAP f(x) - GAP f(hflip x)| per channel",
            "left": SIDE_ASSUMPTION.format(
                classes=cfg["side_classes"], fraction=cfg["side_fraction"]
            ),
            "right": "the left-specific scores negated, i.e. the left ranking reversed. "
            "Assumption (NOTES.md's default): the authors' right list is not the reverse of "
            "their left one, and how they made it is not documented.",
        },
        "scores": {name: s.tolist() for name, s in ranked["scores"].items()},
        "reference": {
            name: compare_rankings(orders[name], read_ranking(path))
            for name, path in snakemake.params.reference.items()
        },
    }
    write_result(snakemake.output.summary, result, ctx["provenance"])
