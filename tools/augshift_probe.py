"""Diagnostic probe for issue 4: train one Table 2 model with the workflow's own code
(:func:`chanpos.shift.train_shift_model`) under a config override, evaluate it with
:func:`chanpos.shift.evaluate_shift`, and add diagnostics the workflow does not record:

* the Zhang pairs split into both-correct / one-correct / both-wrong-same / both-wrong-different,
* the val MSE between the pooled latents of the two Zhang crops (what AugShift minimises),
* the training objective's parts (CE, MSE) on a few training batches.

Usage (one JSON line per run on stdout)::

    PYTHONPATH=. python tools/augshift_probe.py --root resources/mini/imagenet \
        --model augshift --seed 0 --set train.epochs=2 --set augshift.lam=10

``--model untrained`` evaluates a randomly initialised network; ``--model constant`` a model
that ignores its input.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn

from chanpos.augshift import CropBatch, ShiftCrops, augshift_loss
from chanpos.checkpoints import load_checkpoint
from chanpos.consistency import consistency, crop_windows, shift_offsets, zhang_offsets
from chanpos.data.imagefolder_dataset import decode_rgb, imagefolder_dataset
from chanpos.encoders import normalise_batch
from chanpos.latent import gap
from chanpos.models.shift_resnet import ShiftResNet
from chanpos.seeding import seed_everything
from chanpos.shift import MODELS, _views, fig_view, train_shift_model
from chanpos.train import accuracy


class Constant(nn.Module):
    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(len(x), self.k)
        out[:, 0] = 1
        return out


def set_key(cfg: dict, dotted: str) -> None:
    key, value = dotted.split("=", 1)
    *path, last = key.split(".")
    node = cfg
    for p in path:
        node = node[p]
    node[last] = yaml.safe_load(value)


@torch.no_grad()
def pair_breakdown(model: nn.Module, root: Path, cfg: dict) -> dict:
    """Zhang pairs (the same offsets as :func:`chanpos.consistency.consistency` draws for one
    sampler): outcome fractions and the pooled-latent MSE between the two crops."""
    c, v, passes = cfg["crop"], cfg["view"], cfg["eval"]["passes"]
    model.eval()
    counts = dict(both_correct=0, one_correct=0, wrong_same=0, wrong_diff=0)
    mse, sq, n = 0.0, 0.0, 0
    sample = zhang_offsets(v - c)
    gens = [torch.Generator().manual_seed(p) for p in range(passes)]
    norm = normalise_batch()
    for x, y in _views(root, "val", v, v, cfg["eval"]):
        for gen in gens:
            a, b = sample(len(x), gen)
            xa, xb = norm(crop_windows(x, a, c)), norm(crop_windows(x, b, c))
            if hasattr(model, "encode"):
                za, zb = gap(model.encode(xa)), gap(model.encode(xb))
                la, lb = model.backbone.fc(za), model.backbone.fc(zb)
                mse += float(((za - zb) ** 2).mean(1).sum())
                sq += float(((za**2).mean(1) + (zb**2).mean(1)).sum()) / 2
            else:
                la, lb = model(xa), model(xb)
            pa, pb = la.argmax(1), lb.argmax(1)
            ca, cb = pa == y, pb == y
            counts["both_correct"] += int((ca & cb).sum())
            counts["one_correct"] += int((ca ^ cb).sum())
            counts["wrong_same"] += int((~ca & ~cb & (pa == pb)).sum())
            counts["wrong_diff"] += int((~ca & ~cb & (pa != pb)).sum())
            n += len(x)
    out = {k: v / n for k, v in counts.items()}
    out["consistency"] = out["both_correct"] + out["wrong_same"]
    if hasattr(model, "encode"):
        out["val_latent_mse"] = mse / n
        out["val_latent_sq"] = sq / n
    return out


def evaluate(model: nn.Module, root: Path, cfg: dict) -> dict:
    """:func:`chanpos.shift.evaluate_shift` restated with the same library calls, the Zhang
    part folded into :func:`pair_breakdown` so that each crop is encoded once."""
    c, v, ev = cfg["crop"], cfg["view"], cfg["eval"]
    net = nn.Sequential(normalise_batch(), model)
    res = {"top1": accuracy(net, _views(root, "val", v, c, ev), "cpu")}
    res.update(pair_breakdown(model, root, cfg))
    fv = fig_view(cfg)
    samplers = {s: shift_offsets(fv - c, s) for s in ev["shifts"]}
    shifts = consistency(
        net, _views(root, "val", fv, fv, ev), c, samplers, ev["shift_passes"], 0, "cpu"
    )
    res["shift_consistency"] = {str(s): round(float(np.mean(p)), 4) for s, p in shifts.items()}
    return res


def train_objective_parts(model: ShiftResNet, root: Path, cfg: dict, lam: float) -> dict:
    """CE and latent MSE on 4 training batches of two translated crops (model in train mode off)."""
    crops = ShiftCrops(
        2, cfg["crop"], cfg["view"], cfg["augshift"]["crop_scheme"], cfg["train"]["scale"]
    )
    data = imagefolder_dataset(root, "train", crops, decode_rgb)
    loader = torch.utils.data.DataLoader(
        data, 64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    net = CropBatch(model.eval())
    ce = mse = 0.0
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            logits, pooled = net(x)
            ce += float(augshift_loss((logits, pooled), y, 0.0))
            mse += float(((pooled[:, 0] - pooled[:, 1]) ** 2).mean())
            if i == 3:
                break
    return {"train_ce": ce / 4, "train_mse": mse / 4, "train_lam_mse": lam * mse / 4}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True, type=Path)
    ap.add_argument("--model", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--config", default="config.yaml")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = copy.deepcopy(yaml.safe_load(Path(args.config).read_text())["shift"])
    for s in args.set:
        set_key(cfg, s)
    k = len(imagefolder_dataset(args.root, "val").classes)
    t0 = time.time()
    if args.model == "constant":
        model = Constant(k)
    elif args.model == "untrained":
        seed_everything(args.seed)
        model = ShiftResNet(cfg["arch"], 1, k, cfg["width"])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            outs = tuple(str(Path(tmp) / f) for f in ("m.pt", "m.json", "run.json", "r.pt"))
            train_shift_model(
                args.root, args.model, args.seed, cfg, [torch.device("cpu")], outs, {}
            )
            losses = json.loads(Path(outs[1]).read_text())["train_loss"]
            model = load_checkpoint(outs[0])
    t_train = time.time() - t0
    res = evaluate(model, args.root, cfg)
    if isinstance(model, ShiftResNet):
        lam = cfg["augshift"]["lam"] if MODELS.get(args.model, MODELS["resnet50"]).augshift else 0
        res.update(train_objective_parts(model, args.root, cfg, lam))
    res.update(
        model=args.model,
        seed=args.seed,
        set=args.set,
        t_train=round(t_train, 1),
        t_total=round(time.time() - t0, 1),
    )
    if args.model not in ("constant", "untrained"):
        res["train_loss"] = [round(x, 4) for x in losses]
    print(json.dumps(res), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
