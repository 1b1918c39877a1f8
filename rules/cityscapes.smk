# Cityscapes and its DeepLabv3 segmenter (main Sec. 4.2, Figs. S3/S4): a generated tree and a
# segmenter trained here (mini), or the real data and a published checkpoint (paper): the
# authors' (vainf) or mmsegmentation's (mmseg).

_cs = config["datasets"]["cityscapes"]
_deeplab = config["encoders"]["deeplabv3_cityscapes"]
CITYSCAPES_PACKAGES = ["gtFine_trainvaltest.zip", "leftImg8bit_trainvaltest.zip"]

if _deeplab["source"] == "mmseg":  # a missing mmseg config stops the workflow at once
    from chanpos.models.mmseg_config import config_file

    try:
        config_file(_deeplab["config"])
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise WorkflowError(f"encoders.deeplabv3_cityscapes.config: {err}") from None


if _cs["source"] == "generate":

    rule generate_cityscapes:
        output:
            directory(f"{DATA}/cityscapes"),
        log:
            f"{LOGS}/data/generate_cityscapes.log",
        benchmark:
            f"{BENCH}/data/generate_cityscapes.tsv"
        conda:
            "../envs/chanpos.yaml"
        params:
            cfg=_cs["generate"],
        script:
            "../scripts/generate_cityscapes.py"

elif _cs["source"] == "download":

    rule download_cityscapes:
        output:
            expand(f"{DATA}/downloads/{{package}}", package=CITYSCAPES_PACKAGES),
        log:
            f"{LOGS}/download/cityscapes.log",
        benchmark:
            f"{BENCH}/download/cityscapes.tsv"
        conda:
            "../envs/chanpos.yaml"
        script:
            "../scripts/download_cityscapes.py"

    rule extract_cityscapes:
        input:
            expand(f"{DATA}/downloads/{{package}}", package=CITYSCAPES_PACKAGES),
        output:
            directory(f"{DATA}/cityscapes"),
        log:
            f"{LOGS}/data/extract_cityscapes.log",
        benchmark:
            f"{BENCH}/data/extract_cityscapes.tsv"
        conda:
            "../envs/chanpos.yaml"
        script:
            "../scripts/extract_cityscapes.py"


# The segmenters: one per training seed (mini), or the one published model (paper).
SEG_MODELS = (
    [f"seed{seed}" for seed in _deeplab["train"]["seeds"]]
    if _deeplab["source"] == "train"
    else [_deeplab["source"]]
)
# The seed each segmenter's rank and attack jobs run under and report: its training seed (0 for
# the published model), so their provenance names the segmenter, not one shared job seed.
SEG_SEEDS = {
    model: int(model.removeprefix("seed")) if _deeplab["source"] == "train" else 0
    for model in SEG_MODELS
}
SEGMENTER = f"{RESULTS}/encoders/deeplabv3_cityscapes/{{model}}.pt"


if _deeplab["source"] == "train":

    rule train_deeplabv3_cityscapes:
        input:
            cityscapes_input(),
        output:
            model=f"{RESULTS}/encoders/deeplabv3_cityscapes/seed{{seed}}.pt",
            metrics=f"{RESULTS}/encoders/deeplabv3_cityscapes/seed{{seed}}.json",
        log:
            f"{LOGS}/encoders/deeplabv3_cityscapes/seed{{seed}}.log",
        benchmark:
            f"{BENCH}/encoders/deeplabv3_cityscapes/seed{{seed}}.tsv"
        wildcard_constraints:
            seed=r"\d+",
        conda:
            "../envs/chanpos.yaml"
        # A fixed count, not all cores: the trained weights depend on the number of threads. One
        # thread each, two models train at once on 2 cores (a second thread speeds a step ~8 %).
        threads: 1
        resources:
            gpu=GPUS,
        params:
            root=lambda wc: cityscapes_root(),
            arch=_deeplab["arch"],
            cfg=lambda wc: {
                **{k: v for k, v in _deeplab["train"].items() if k != "seeds"},
                "seed": int(wc.seed),
            },
        script:
            "../scripts/train_deeplabv3.py"

else:

    rule import_deeplabv3_cityscapes:
        input:
            (  # unpinned, the import stops and says how to pin it
                f"{DATA}/downloads/{download_name(_deeplab['url'])}"
                if _deeplab.get("sha256")
                else []
            ),
        output:
            model=f"{RESULTS}/encoders/deeplabv3_cityscapes/{_deeplab['source']}.pt",
            metrics=f"{RESULTS}/encoders/deeplabv3_cityscapes/{_deeplab['source']}.json",
        log:
            f"{LOGS}/encoders/deeplabv3_cityscapes/{_deeplab['source']}.log",
        benchmark:
            f"{BENCH}/encoders/deeplabv3_cityscapes/{_deeplab['source']}.tsv"
        conda:
            "../envs/chanpos.yaml"
        params:
            source=_deeplab["source"],
            url=_deeplab["url"],
            arch=_deeplab["arch"],
            mmseg_config=_deeplab.get("config"),
            overrides=_deeplab.get("overrides", {}),
        script:
            "../scripts/import_deeplabv3.py"
