"""The README's rule graph is the workflow's current one."""

import subprocess

from tests.workflow import REPO, SNAKEMAKE


def test_readme_rulegraph_is_current():
    graph = subprocess.run(
        [str(SNAKEMAKE), "--rulegraph", "mermaid-js", "--workflow-profile", "none"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    edges = [
        line.strip()
        for line in graph.splitlines()
        if "-->" in line or line.strip().startswith("id")
    ]
    edges = [e for e in edges if not e.startswith("style")]
    readme = (REPO / "README.md").read_text()
    assert edges and all(e in readme for e in edges)
