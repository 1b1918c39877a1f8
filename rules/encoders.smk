# Fig. S1's frozen encoders: trained here (mini) or loaded from published weights (paper).
# The chain ImageNet data -> classifier -> VOC segmenter -> latents is the workflow's longest
# path, so its rules carry a priority: started first, it overlaps Table 1's jobs.

_imagenet_cfg = config["encoders"]["imagenet_resnet18"]
_voc_cfg = config["encoders"]["voc_resnet18"]


if _imagenet_cfg["source"] == "train":

    rule train_imagenet_resnet18:
        input:
            # a function, so that --lint does not take params.root for a hard-coded prefix
            lambda wc: (
                imagenet_root()
                if config["datasets"]["imagenet"]["source"] == "generate"
                else []
            ),
        output:
            model=f"{RESULTS}/encoders/imagenet_resnet18.pt",
            metrics=f"{RESULTS}/encoders/imagenet_resnet18.json",
        log:
            f"{LOGS}/encoders/imagenet_resnet18.log",
        benchmark:
            f"{BENCH}/encoders/imagenet_resnet18.tsv"
        priority: 1
        conda:
            "../envs/chanpos.yaml"
        resources:
            gpu=GPUS,
        params:
            root=imagenet_root(),
            cfg=_imagenet_cfg["train"],
        script:
            "../scripts/train_imagenet_encoder.py"

else:

    rule import_imagenet_resnet18:
        input:
            f"{DATA}/downloads/{download_name(_imagenet_cfg['url'])}",
        output:
            model=f"{RESULTS}/encoders/imagenet_resnet18.pt",
            metrics=f"{RESULTS}/encoders/imagenet_resnet18.json",
        log:
            f"{LOGS}/encoders/imagenet_resnet18.log",
        benchmark:
            f"{BENCH}/encoders/imagenet_resnet18.tsv"
        conda:
            "../envs/chanpos.yaml"
        script:
            "../scripts/import_imagenet_encoder.py"


rule train_voc_resnet18:
    input:
        voc=f"{DATA}/voc",
        init=(
            f"{RESULTS}/encoders/imagenet_resnet18.pt"
            if _voc_cfg["init"] == "imagenet_resnet18"
            else []
        ),
    output:
        model=f"{RESULTS}/encoders/voc_resnet18.pt",
        metrics=f"{RESULTS}/encoders/voc_resnet18.json",
    log:
        f"{LOGS}/encoders/voc_resnet18.log",
    benchmark:
        f"{BENCH}/encoders/voc_resnet18.tsv"
    priority: 1
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        cfg=_voc_cfg["train"],
    script:
        "../scripts/train_voc_encoder.py"
