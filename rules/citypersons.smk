# CityPersons (Table S1): a generated tree of street scenes with pedestrians (mini), or the
# real Cityscapes images with the CityPersons boxes (paper), converted once to COCO-style JSON.

_cp = config["datasets"]["citypersons"]


if _cp["source"] == "generate":

    rule generate_citypersons:
        output:
            directory(f"{DATA}/citypersons"),
        log:
            f"{LOGS}/data/generate_citypersons.log",
        benchmark:
            f"{BENCH}/data/generate_citypersons.tsv"
        conda:
            "../envs/chanpos.yaml"
        params:
            cfg=_cp["generate"],
        script:
            "../scripts/generate_citypersons.py"


rule citypersons_coco:
    input:
        citypersons_input(),
    output:
        f"{DATA}/citypersons_coco/{{split}}.json",
    log:
        f"{LOGS}/data/citypersons_coco_{{split}}.log",
    benchmark:
        f"{BENCH}/data/citypersons_coco_{{split}}.tsv"
    wildcard_constraints:
        split="train|val",
    conda:
        "../envs/chanpos.yaml"
    params:
        root=lambda wc: citypersons_root(),
    script:
        "../scripts/citypersons_coco.py"
