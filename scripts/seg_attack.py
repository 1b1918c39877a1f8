"""Zero the top-N ranked (or N random) latent channels of DeepLabv3; region mIoU per variant."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.atomic import atomic_path
from chanpos.channels import read_ranking
from chanpos.checkpoints import load_checkpoint
from chanpos.job import job
from chanpos.provenance import write_result
from chanpos.seg_attack import attack, attack_variants, eval_loader

cfg = snakemake.params.cfg
with job(snakemake, seed=snakemake.params.seed) as ctx:
    model = load_checkpoint(snakemake.input.model).to(ctx["device"])
    rankings = {name: read_ranking(snakemake.input[name]) for name in ("overall", "left", "right")}
    channels = len(rankings["overall"])
    ns = sorted({0, *cfg["n"]})
    if ns[-1] > channels:
        raise ValueError(f"seg_attack.n: {ns[-1]} is more than the {channels} latent channels")
    loader = eval_loader(snakemake.params.root, "val", cfg["batch_size"])
    long = attack(
        model, loader, attack_variants(rankings, ns, cfg["seeds"], channels), ctx["device"]
    )
    with atomic_path(snakemake.output.csv) as tmp:
        long.to_csv(tmp, index=False)
    base = long[long.n == 0].drop_duplicates("region").set_index("region")["miou"]
    result = {
        "model": snakemake.wildcards.model,
        "images": len(loader.dataset),
        "latent_channels": channels,
        "n": ns,
        "seeds": cfg["seeds"],
        "baseline_miou": base.to_dict(),
    }
    write_result(snakemake.output.summary, result, ctx["provenance"])
