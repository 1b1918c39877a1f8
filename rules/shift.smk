# Main Sec. 4.1 Table 2 and supplement Fig. S2: top-1 and shift consistency of plain, BlurPool-k2
# and AugShift ResNets. Models are trained here and evaluated by the same job, or imported from
# published weights (paper) and evaluated by eval_shift; both call evaluate_checkpoint.

_sh = config["shift"]
SHIFT_PUBLISHED = {m: w for m, w in _sh["weights"].items() if m in _sh["models"]}
SHIFT_TRAINED = [m for m in _sh["models"] if m not in SHIFT_PUBLISHED]
SHIFT_RUNS = [
    f"{RESULTS}/shift/runs/{model}_seed{seed}.json"
    for model in _sh["models"]
    for seed in (_sh["seeds"][:1] if model in SHIFT_PUBLISHED else _sh["seeds"])
]
IMAGENET_RULES.update({"train_shift_model", "eval_shift"})
# The generated ImageNet tree is an input; a manual copy is checked at start instead.
SHIFT_DATA = (
    imagenet_root() if config["datasets"]["imagenet"]["source"] == "generate" else []
)


if SHIFT_TRAINED:

    rule train_shift_model:
        input:
            SHIFT_DATA,
        output:
            model=f"{RESULTS}/shift/models/{{model}}_seed{{seed}}.pt",
            metrics=f"{RESULTS}/shift/models/{{model}}_seed{{seed}}.json",
            run=f"{RESULTS}/shift/runs/{{model}}_seed{{seed}}.json",
        log:
            f"{LOGS}/shift/train_{{model}}_seed{{seed}}.log",
        benchmark:
            f"{BENCH}/shift/train_{{model}}_seed{{seed}}.tsv"
        wildcard_constraints:
            model="|".join(SHIFT_TRAINED),
        conda:
            "../envs/chanpos.yaml"
        resources:
            gpu=_sh["train"].get("gpus", GPUS),
        params:
            root=lambda wc: imagenet_root(),
            cfg=_sh,
            resume=lambda wc: f"{RESULTS}/shift/models/{wc.model}_seed{wc.seed}.resume.pt",
        script:
            "../scripts/train_shift_model.py"


if SHIFT_PUBLISHED:

    rule import_shift_model:
        input:
            lambda wc: f"{DATA}/downloads/{download_name(SHIFT_PUBLISHED[wc.model]['url'])}",
        output:
            model=f"{RESULTS}/shift/models/{{model}}_seed{{seed}}.pt",
            metrics=f"{RESULTS}/shift/models/{{model}}_seed{{seed}}.json",
        log:
            f"{LOGS}/shift/import_{{model}}_seed{{seed}}.log",
        benchmark:
            f"{BENCH}/shift/import_{{model}}_seed{{seed}}.tsv"
        wildcard_constraints:
            model="|".join(SHIFT_PUBLISHED),
        conda:
            "../envs/chanpos.yaml"
        params:
            weights=lambda wc: SHIFT_PUBLISHED[wc.model],
            cfg=_sh,
        script:
            "../scripts/import_shift_model.py"

    rule eval_shift:
        input:
            model=f"{RESULTS}/shift/models/{{model}}_seed{{seed}}.pt",
            data=SHIFT_DATA,
        output:
            f"{RESULTS}/shift/runs/{{model}}_seed{{seed}}.json",
        log:
            f"{LOGS}/shift/eval_{{model}}_seed{{seed}}.log",
        benchmark:
            f"{BENCH}/shift/eval_{{model}}_seed{{seed}}.tsv"
        wildcard_constraints:
            model="|".join(SHIFT_PUBLISHED),
        conda:
            "../envs/chanpos.yaml"
        resources:
            gpu=GPUS,
        params:
            root=lambda wc: imagenet_root(),
            cfg=_sh,
        script:
            "../scripts/eval_shift.py"


S2_CATEGORY = "Sec. 4.1: AugShift and shift consistency"


rule make_table2:
    input:
        SHIFT_RUNS,
    output:
        csv=f"{RESULTS}/tables/table2.csv",
        md=f"{RESULTS}/tables/table2.md",
        tex=f"{RESULTS}/tables/table2.tex",
        html=report(
            f"{RESULTS}/tables/table2.html",
            caption="../report/table2.rst",
            category=S2_CATEGORY,
            subcategory="Table 2",
            labels={"artefact": "Table 2", "content": "table, notes, provenance"},
        ),
    log:
        f"{LOGS}/tables/table2.log",
    benchmark:
        f"{BENCH}/tables/table2.tsv"
    conda:
        "../envs/chanpos.yaml"
    script:
        "../scripts/make_table2.py"


rule make_fig_s2:
    input:
        SHIFT_RUNS,
    output:
        pdf=report(
            f"{RESULTS}/figures/fig_s2.pdf",
            caption="../report/fig_s2.rst",
            category=S2_CATEGORY,
            subcategory="Fig. S2",
            labels={"artefact": "Fig. S2", "content": "figure (PDF)"},
        ),
        png=report(
            f"{RESULTS}/figures/fig_s2.png",
            caption="../report/fig_s2.rst",
            category=S2_CATEGORY,
            subcategory="Fig. S2",
            labels={"artefact": "Fig. S2", "content": "figure (PNG)"},
        ),
        csv=f"{RESULTS}/figures/fig_s2.csv",
        md=f"{RESULTS}/figures/fig_s2.md",
        html=report(
            f"{RESULTS}/figures/fig_s2.html",
            caption="../report/fig_s2_numbers.rst",
            category=S2_CATEGORY,
            subcategory="Fig. S2",
            labels={"artefact": "Fig. S2", "content": "numbers, notes, provenance"},
        ),
    log:
        f"{LOGS}/figures/fig_s2.log",
    benchmark:
        f"{BENCH}/figures/fig_s2.tsv"
    conda:
        "../envs/chanpos.yaml"
    script:
        "../scripts/make_fig_s2.py"


rule table2:
    input:
        rules.make_table2.output,


rule fig_s2:
    input:
        rules.make_fig_s2.output,


localrules:
    table2,
    fig_s2,
