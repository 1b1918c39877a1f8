# Main Sec. 3, Table 1: GAPNet vs PermuteNet trained from scratch on the grid canvas.

_t1 = config["table1"]
TABLE1_RUNS = expand(
    f"{RESULTS}/table1/runs/g{{grid}}_{{task}}_{{head}}_seed{{seed}}.json",
    grid=_t1["grid_sizes"],
    task=_t1["tasks"],
    head=_t1["heads"],
    seed=_t1["seeds"],
)


rule train_table1:
    input:
        f"{DATA}/cifar10",
    output:
        f"{RESULTS}/table1/runs/g{{grid}}_{{task}}_{{head}}_seed{{seed}}.json",
    log:
        f"{LOGS}/table1/g{{grid}}_{{task}}_{{head}}_seed{{seed}}.log",
    benchmark:
        f"{BENCH}/table1/g{{grid}}_{{task}}_{{head}}_seed{{seed}}.tsv"
    wildcard_constraints:
        task="location|recognition",
        head="gapnet|permutenet",
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        cfg=_t1,
    script:
        "../scripts/train_table1.py"


rule make_table1:
    input:
        TABLE1_RUNS,
    output:
        csv=f"{RESULTS}/tables/table1.csv",
        md=f"{RESULTS}/tables/table1.md",
        tex=f"{RESULTS}/tables/table1.tex",
        html=report(
            f"{RESULTS}/tables/table1.html",
            caption="../report/table1.rst",
            category="Sec. 3: position is encoded channel-wise",
            subcategory="Table 1",
            labels={"artefact": "Table 1", "content": "table, notes, provenance"},
        ),
    log:
        f"{LOGS}/tables/table1.log",
    benchmark:
        f"{BENCH}/tables/table1.tsv"
    conda:
        "../envs/chanpos.yaml"
    script:
        "../scripts/make_table1.py"


rule table1:
    input:
        rules.make_table1.output,


localrules:
    table1,
