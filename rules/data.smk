# Datasets: generated in the real on-disk formats (mini) or downloaded with a pinned checksum.


rule download:
    output:
        f"{DATA}/downloads/{{download}}",
    log:
        f"{LOGS}/download/{{download}}.log",
    benchmark:
        f"{BENCH}/download/{{download}}.tsv"
    conda:
        "../envs/chanpos.yaml"
    params:
        spec=lambda wc: DOWNLOADS[wc.download],
    script:
        "../scripts/download.py"


if config["datasets"]["cifar10"]["source"] == "generate":

    rule generate_cifar10:
        output:
            directory(f"{DATA}/cifar10"),
        log:
            f"{LOGS}/data/generate_cifar10.log",
        benchmark:
            f"{BENCH}/data/generate_cifar10.tsv"
        conda:
            "../envs/chanpos.yaml"
        params:
            cfg=config["datasets"]["cifar10"]["generate"],
        script:
            "../scripts/generate_cifar10.py"

else:

    rule extract_cifar10:
        input:
            f"{DATA}/downloads/cifar-10-python.tar.gz",
        output:
            directory(f"{DATA}/cifar10"),
        log:
            f"{LOGS}/data/extract_cifar10.log",
        benchmark:
            f"{BENCH}/data/extract_cifar10.tsv"
        conda:
            "../envs/chanpos.yaml"
        script:
            "../scripts/extract.py"


if config["datasets"]["voc"]["source"] == "generate":

    rule generate_voc:
        output:
            directory(f"{DATA}/voc"),
        log:
            f"{LOGS}/data/generate_voc.log",
        benchmark:
            f"{BENCH}/data/generate_voc.tsv"
        conda:
            "../envs/chanpos.yaml"
        params:
            cfg=config["datasets"]["voc"]["generate"],
        script:
            "../scripts/generate_voc.py"

else:

    rule extract_voc:
        input:
            f"{DATA}/downloads/VOCtrainval_11-May-2012.tar",
        output:
            directory(f"{DATA}/voc"),
        log:
            f"{LOGS}/data/extract_voc.log",
        benchmark:
            f"{BENCH}/data/extract_voc.tsv"
        conda:
            "../envs/chanpos.yaml"
        script:
            "../scripts/extract.py"


if config["datasets"]["imagenet"]["source"] == "generate":

    rule generate_imagenet:
        output:
            directory(f"{DATA}/imagenet"),
        log:
            f"{LOGS}/data/generate_imagenet.log",
        benchmark:
            f"{BENCH}/data/generate_imagenet.tsv"
        priority: 1
        conda:
            "../envs/chanpos.yaml"
        params:
            cfg=config["datasets"]["imagenet"]["generate"],
        script:
            "../scripts/generate_imagenet.py"
