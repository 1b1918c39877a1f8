"""What every rule's script does first: log to the rule's log file; for a job that computes with
torch also fix threads, seed and claim devices.

This module imports no torch at the top: :func:`plain_job` (data generation, tables, figures,
claims) never needs it, and importing it costs such a job seconds, most of a report's run time.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chanpos.provenance import provenance


@contextmanager
def _logged(smk: Any) -> Iterator[None]:
    """Send stderr and logging to ``smk.log[0]``; log the exception a failing body raises."""
    log = open(smk.log[0], "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        yield
    except BaseException:
        logging.exception("rule %s failed", smk.rule)
        raise
    finally:
        log.flush()


@contextmanager
def job(smk: Any, seed: int | None = None) -> Iterator[dict[str, Any]]:
    """Run a Snakemake script body that computes with torch, logged as :func:`plain_job`.

    Yields a context with the ``device`` (the main one), all ``devices`` the job holds (as many
    CUDA devices as its ``gpu`` resource, see :mod:`chanpos.gpus`) and the ``provenance`` dict
    for result files.
    """
    import torch

    from chanpos.gpus import job_devices
    from chanpos.seeding import seed_everything, set_threads

    with _logged(smk):
        set_threads(smk.threads)
        if seed is not None:
            seed_everything(seed)
        gpus = int(smk.resources.get("gpu", 0))
        with job_devices(smk.config.get("device", "auto"), gpus) as devices:
            device = devices[0]
            prov = provenance(smk.config, seed, str(device))
            logging.info("rule %s: device %s, torch %s", smk.rule, device, torch.__version__)
            yield {"device": device, "devices": devices, "provenance": prov}


@contextmanager
def plain_job(smk: Any) -> Iterator[dict[str, Any]]:
    """Run a Snakemake script body that needs no torch (it generates data with numpy, or reads
    results and writes tables or figures): stderr and logging go to ``smk.log[0]``; yields
    ``provenance`` (device ``cpu``, no seed: a generator takes its seed from its config)."""
    with _logged(smk):
        logging.info("rule %s: job without torch", smk.rule)
        yield {"provenance": provenance(smk.config, None, "cpu")}
