"""What every rule's script does first: log to the rule's log file, fix threads, seed, devices."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from chanpos.gpus import job_devices
from chanpos.provenance import provenance
from chanpos.seeding import seed_everything, set_threads


@contextmanager
def job(smk: Any, seed: int | None = None) -> Iterator[dict[str, Any]]:
    """Run a Snakemake script body with stderr and logging sent to ``smk.log[0]``.

    Yields a context with the ``device`` (the main one), all ``devices`` the job holds (as many
    CUDA devices as its ``gpu`` resource, see :mod:`chanpos.gpus`) and the ``provenance`` dict
    for result files.
    """
    log = open(smk.log[0], "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(message)s")
    set_threads(smk.threads)
    if seed is not None:
        seed_everything(seed)
    try:
        gpus = int(smk.resources.get("gpu", 0))
        with job_devices(smk.config.get("device", "auto"), gpus) as devices:
            device = devices[0]
            prov = provenance(smk.config, seed, str(device))
            logging.info("rule %s: device %s, torch %s", smk.rule, device, torch.__version__)
            yield {"device": device, "devices": devices, "provenance": prov}
    except BaseException:
        logging.exception("rule %s failed", smk.rule)
        raise
    finally:
        log.flush()
