"""Train one readout (GAPNet or ShuffleNet), once per seed, on a frozen encoder's cached latents."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.decode import fit_readout
from chanpos.job import job
from chanpos.provenance import write_result

wc, cfg = snakemake.wildcards, snakemake.params.cfg
with job(snakemake) as ctx:
    cache = torch.load(snakemake.input[0], weights_only=True)
    for seed, out in zip(cfg["seeds"], snakemake.output, strict=True):
        acc = fit_readout(
            wc.readout,
            (cache["train_latents"], cache["train_locations"]),
            (cache["test_latents"], cache["test_locations"]),
            num_classes=cfg["grid"] ** 2,
            seed=seed,
            epochs=cfg["epochs"],
            lr=cfg["lr"],
            batch_size=cfg["batch_size"],
        )
        result = {"encoder": wc.encoder, "readout": wc.readout, "seed": seed, "accuracy": acc}
        write_result(out, result, {**ctx["provenance"], "seed": seed})
