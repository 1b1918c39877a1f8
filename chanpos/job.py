"""What every rule's script does first: log to the rule's log file, fix threads, seed, device."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from chanpos.provenance import provenance
from chanpos.seeding import seed_everything, select_device, set_threads


@contextmanager
def job(smk: Any, seed: int | None = None) -> Iterator[dict[str, Any]]:
    """Run a Snakemake script body with stderr and logging sent to ``smk.log[0]``.

    Yields a context with the ``device`` and the ``provenance`` dict for result files.
    """
    log = open(smk.log[0], "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(message)s")
    set_threads(smk.threads)
    if seed is not None:
        seed_everything(seed)
    device = select_device(smk.config.get("device", "auto"))
    prov = provenance(smk.config, seed, str(device))
    logging.info("rule %s: device %s, torch %s", smk.rule, device, torch.__version__)
    try:
        yield {"device": device, "provenance": prov}
    except BaseException:
        logging.exception("rule %s failed", smk.rule)
        raise
    finally:
        log.flush()
