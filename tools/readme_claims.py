"""Splice a run's claims table (claims.md) into README.md, between the claims markers.

Usage: .venv/bin/python tools/readme_claims.py [results/mini/claims.md] [--check]

The block records where the table came from and its sha256, so a test can tell that the
README's table is exactly what this tool wrote. --check only reports whether README.md is
current (exit status 1 if not).
"""

import hashlib
import re
import sys
from pathlib import Path

START, END = "<!-- claims:start -->", "<!-- claims:end -->"
HEADER = re.compile(
    r"<!-- from (\S+), sha256 ([0-9a-f]{16}); written by tools/readme_claims.py -->"
)
README = Path(__file__).resolve().parent.parent / "README.md"


def digest(claims_md: str) -> str:
    return hashlib.sha256(claims_md.encode()).hexdigest()[:16]


def splice(readme: str, claims_md: str, source: str) -> str:
    """``readme`` with the text between the claims markers replaced by ``claims_md``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs a line {START} followed by a line {END}")
    claims_md = claims_md.strip() + "\n"
    header = (
        f"<!-- from {source}, sha256 {digest(claims_md)}; written by tools/readme_claims.py -->"
    )
    block = f"{START}\n{header}\n\n{claims_md}\n{END}"
    return readme[:start] + block + readme[end + len(END) :]


def spliced(readme: str) -> tuple[str, str, str]:
    """The source, recorded sha256 and claims Markdown of the block in ``readme``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {START} ... {END} block")
    body = readme[start + len(START) : end].strip("\n")
    header, _, claims_md = body.partition("\n")
    match = HEADER.fullmatch(header)
    if not match:
        raise ValueError(
            f"the claims block does not start with a tools/readme_claims.py header: {header!r}"
        )
    return match[1], match[2], claims_md.strip("\n") + "\n"


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--check"]
    source = args[0] if args else "results/mini/claims.md"
    path = Path(source)
    if not path.is_file():
        raise SystemExit(
            f"{source} not found: run the workflow first (snakemake --cores all claims)"
        )
    old = README.read_text()
    new = splice(old, path.read_text(), source)
    if "--check" in sys.argv:
        raise SystemExit(0 if new == old else f"README.md's claims table is not {source}'s")
    README.write_text(new)
