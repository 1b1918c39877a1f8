# The paper's claims, each decided from the result tables by a bootstrap over seeds
# (chanpos/claims.py). A new experiment adds its table as <source> and its run JSONs as
# <source>_runs below, and its claims to chanpos.claims.CATALOGUE.


rule make_claims:
    input:
        table1=rules.make_table1.output.csv,
        table1_runs=rules.make_table1.input,
        fig_s1=rules.make_fig_s1.output.csv,
        fig_s1_runs=rules.make_fig_s1.input,
        table2=rules.make_table2.output.csv,
        table2_runs=rules.make_table2.input,
        fig_s2=rules.make_fig_s2.output.csv,
        fig_s2_runs=rules.make_fig_s2.input,
        seg_attack=rules.seg_attack_table.output.csv,
        seg_attack_runs=rules.seg_attack_table.input.summary,
        table_s1=rules.make_table_s1.output.csv,
        table_s1_runs=rules.make_table_s1.input.runs,
    output:
        csv=f"{RESULTS}/claims.csv",
        md=f"{RESULTS}/claims.md",
        html=report(
            f"{RESULTS}/claims.html",
            caption="../report/claims.rst",
            category="Claims: what reproduces",
            subcategory="All sections",
            labels={
                "artefact": "claims",
                "content": "verdicts, assumptions, provenance",
            },
        ),
    log:
        f"{LOGS}/claims.log",
    benchmark:
        f"{BENCH}/claims.tsv"
    conda:
        "../envs/chanpos.yaml"
    params:
        cfg=config["claims"],  # read from snakemake.config too; here so a change reruns the job
    script:
        "../scripts/make_claims.py"


rule claims:
    input:
        rules.make_claims.output,


localrules:
    claims,
