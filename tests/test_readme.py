"""The README is current: its rule graph, and its claims table, spliced in from a mini run."""

import importlib.util
import subprocess

import pandas as pd
import pytest
import yaml

from chanpos.claims import CATALOGUE, FAILS, HOLDS, INCONCLUSIVE, claim_table
from tests.workflow import REPO, SNAKEMAKE, local_env


def test_readme_rulegraph_is_current():
    graph = subprocess.run(
        [str(SNAKEMAKE), "--rulegraph", "mermaid-js", "--workflow-profile", "none"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=local_env(),
    ).stdout
    edges = [
        line.strip()
        for line in graph.splitlines()
        if "-->" in line or line.strip().startswith("id")
    ]
    edges = [e for e in edges if not e.startswith("style")]
    readme = (REPO / "README.md").read_text()
    assert edges and all(e in readme for e in edges)


def _readme_claims():
    """tools/readme_claims.py, the tool that splices claims.md into the README."""
    spec = importlib.util.spec_from_file_location("readme_claims", REPO / "tools/readme_claims.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_splice_replaces_only_the_claims_block_and_records_its_source():
    tool = _readme_claims()
    readme = f"# x\n\nbefore\n{tool.START}\nold table\n{tool.END}\nafter\n"
    claims_md = "| claim | verdict |\n|:--|:--|\n| T1 | holds |\n"
    out = tool.splice(readme, claims_md, "results/mini/claims.md")
    assert out.startswith("# x\n\nbefore\n") and out.endswith(f"{tool.END}\nafter\n")
    assert "old table" not in out and claims_md in out
    assert tool.splice(out, claims_md, "results/mini/claims.md") == out
    assert tool.spliced(out) == ("results/mini/claims.md", tool.digest(claims_md), claims_md)
    edited = out.replace("holds", "does not hold")
    _, recorded, table = tool.spliced(edited)
    assert recorded != tool.digest(table)
    with pytest.raises(ValueError, match="claims:start"):
        tool.splice("# no markers\n", claims_md, "results/mini/claims.md")


def test_readme_claims_table_is_what_the_tool_wrote_from_a_mini_run():
    tool = _readme_claims()
    readme = (REPO / "README.md").read_text()
    source, recorded, claims_md = tool.spliced(readme)
    assert source == "results/mini/claims.md"
    assert recorded == tool.digest(claims_md), "the claims table was edited by hand"
    assert tool.splice(readme, claims_md, source) == readme


def test_readme_claims_table_lists_every_catalogued_claim_with_a_verdict():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    sh, sa = config["shift"], config["seg_attack"]
    seg = [  # every (model, ranking, N, seed, region) of the attack, values irrelevant here
        {"model": f"seed{m}", "ranking": k, "n": n, "seed": seed, "region": r, "miou": 0.5}
        for m in config["encoders"]["deeplabv3_cityscapes"]["train"]["seeds"]
        for n in sorted({0, *sa["n"]})
        for k, seeds in [("overall", [None]), ("left", [None]), ("right", [None])]
        + [("random", sa["seeds"])]
        for seed in seeds
        for r in ("overall", "left", "right", "center")
    ]
    tables = {
        "table1": pd.DataFrame({"grid": config["table1"]["grid_sizes"]}),
        "fig_s1": pd.DataFrame({"encoder": config["fig_s1"]["encoders"]}),
        "table2": pd.DataFrame({"model": sh["models"]}),
        "fig_s2": pd.DataFrame(
            [{"model": m, "shift": s} for m in sh["models"] for s in sh["eval"]["shifts"]]
        ),
        "seg_attack": pd.DataFrame(seg),
        "table_s1": pd.DataFrame(
            [
                {"detector": d, "variant": v, "seed": seed, "setup": "all", "mr": 0.5}
                for d in config["table_s1"]["detectors"]
                for v, seeds in [("baseline", [None]), ("targeted", [None])]
                + [("random", config["table_s1"]["seeds"])]
                for seed in seeds
            ]
        ),
    }
    tables = {name: claim_table(name, t) for name, t in tables.items()}
    expected = [c.id for name, build in CATALOGUE.items() for c in build(tables[name], config)]
    _, _, claims_md = _readme_claims().spliced((REPO / "README.md").read_text())
    rows = [line.split("|")[1:-1] for line in claims_md.splitlines() if line.startswith("| ")]
    header, rows = [c.strip() for c in rows[0]], [[c.strip() for c in r] for r in rows[1:]]
    assert [r[header.index("claim")] for r in rows] == expected
    assert {r[header.index("verdict")] for r in rows} <= {HOLDS, FAILS, INCONCLUSIVE}
