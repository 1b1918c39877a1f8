# Supplement S4, Table S1: pedestrian detectors (mmdet configs in configs/mmdet), trained here
# (mini) or imported (paper); rank their neck channels by Eq. 2, zero the top N or N random
# ones, CityPersons MR^-2 per setup.

_ts1 = config["table_s1"]
_dets = config["detectors"]
_TRAINED = [d for d in _ts1["detectors"] if _dets[d]["source"] == "train"]
_IMPORTED = [d for d in _ts1["detectors"] if _dets[d]["source"] == "checkpoint"]


rule train_detector:
    input:
        data=citypersons_input(),
        coco=f"{DATA}/citypersons_coco/train.json",
    output:
        model=f"{RESULTS}/detectors/{{detector}}.pt",
        metrics=f"{RESULTS}/detectors/{{detector}}.json",
    log:
        f"{LOGS}/detectors/{{detector}}.log",
    benchmark:
        f"{BENCH}/detectors/{{detector}}.tsv"
    wildcard_constraints:
        detector=one_of(_TRAINED),
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        root=lambda wc: citypersons_root(),
        cfg=lambda wc: _dets[wc.detector],
    script:
        "../scripts/train_detector.py"


rule import_detector:
    output:
        model=f"{RESULTS}/detectors/{{detector}}.pt",
        metrics=f"{RESULTS}/detectors/{{detector}}.json",
    log:
        f"{LOGS}/detectors/{{detector}}.log",
    benchmark:
        f"{BENCH}/detectors/{{detector}}.tsv"
    wildcard_constraints:
        detector=one_of(_IMPORTED),
    conda:
        "../envs/chanpos.yaml"
    params:
        cfg=lambda wc: _dets[wc.detector],
    script:
        "../scripts/import_detector.py"


rule det_rank:
    input:
        model=f"{RESULTS}/detectors/{{detector}}.pt",
        data=citypersons_input(),
        coco=f"{DATA}/citypersons_coco/{_ts1['rank_split']}.json",
    output:
        ranking=f"{RESULTS}/table_s1/rankings/{{detector}}.json",
        summary=f"{RESULTS}/table_s1/rankings/{{detector}}_summary.json",
    log:
        f"{LOGS}/table_s1/rank_{{detector}}.log",
    benchmark:
        f"{BENCH}/table_s1/rank_{{detector}}.tsv"
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        root=lambda wc: citypersons_root(),
        cfg=_ts1,
    script:
        "../scripts/det_rank.py"


rule det_attack:
    input:
        model=f"{RESULTS}/detectors/{{detector}}.pt",
        ranking=f"{RESULTS}/table_s1/rankings/{{detector}}.json",
        data=citypersons_input(),
        coco=f"{DATA}/citypersons_coco/val.json",
    output:
        csv=f"{RESULTS}/table_s1/runs/{{detector}}.csv",
        summary=f"{RESULTS}/table_s1/runs/{{detector}}.json",
    log:
        f"{LOGS}/table_s1/attack_{{detector}}.log",
    benchmark:
        f"{BENCH}/table_s1/attack_{{detector}}.tsv"
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        root=lambda wc: citypersons_root(),
        cfg=_ts1,
        n=lambda wc: _dets[wc.detector]["n"],
    script:
        "../scripts/det_attack.py"


rule make_table_s1:
    input:
        csv=expand(f"{RESULTS}/table_s1/runs/{{d}}.csv", d=_ts1["detectors"]),
        runs=expand(f"{RESULTS}/table_s1/runs/{{d}}.json", d=_ts1["detectors"]),
        rankings=expand(
            f"{RESULTS}/table_s1/rankings/{{d}}_summary.json", d=_ts1["detectors"]
        ),
    output:
        csv=f"{RESULTS}/tables/table_s1.csv",
        md=f"{RESULTS}/tables/table_s1.md",
        tex=f"{RESULTS}/tables/table_s1.tex",
        html=report(
            f"{RESULTS}/tables/table_s1.html",
            caption="../report/table_s1.rst",
            category="Supp. S4: pedestrian detectors",
            subcategory="Table S1",
            labels={"artefact": "Table S1", "content": "table, notes, provenance"},
        ),
    log:
        f"{LOGS}/tables/table_s1.log",
    benchmark:
        f"{BENCH}/tables/table_s1.tsv"
    conda:
        "../envs/chanpos.yaml"
    script:
        "../scripts/make_table_s1.py"


rule table_s1:
    input:
        rules.make_table_s1.output,


localrules:
    table_s1,
