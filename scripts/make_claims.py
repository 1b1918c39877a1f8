"""Decide every catalogued claim from the result tables; write claims.{csv,md,html}."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.claims import CATALOGUE, claims_summary, paper_claims
from chanpos.job import plain_job
from chanpos.tables import collect_runs, provenance_lines, write_table

with plain_job(snakemake) as ctx:
    inputs = dict(snakemake.input.items())  # <source>: its table, <source>_runs: its run JSONs
    sources = [name for name in CATALOGUE if name in inputs]
    claims = paper_claims({s: pd.read_csv(inputs[s]) for s in sources}, snakemake.config)
    wide, notes = claims_summary(claims)
    for source in sources:
        runs = inputs[f"{source}_runs"]  # one file, or a list of them
        _, provs = collect_runs([runs] if isinstance(runs, str) else runs, [])
        notes += [f"{source} runs, {line}" for line in provenance_lines(provs)]
    prov = ctx["provenance"]
    notes.append(
        f"claims computed at git revision {prov['git_revision']} "
        f"(dirty: {prov['git_dirty']}), config hash {prov['config_hash']}"
    )
    write_table(
        claims,
        wide,
        Path(snakemake.output[0]).with_suffix(""),
        "Claims of the paper: measured values and verdicts",
        notes,
        formats=("csv", "md", "html"),
    )
