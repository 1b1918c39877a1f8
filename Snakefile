# chanpos: "Global Pooling, More than Meets the Eye" (Islam et al., ICCV 2021), reproduced.
#   snakemake --cores all                                  # mini preset, every artefact
#   snakemake --cores all --configfile config.paper.yaml   # paper preset
#   snakemake --cores all table1                           # one artefact
#   snakemake --report results/mini/report.html            # the report, after a run


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/encoders.smk"
include: "rules/table1.smk"
include: "rules/fig_s1.smk"
include: "rules/shift.smk"
include: "rules/cityscapes.smk"
include: "rules/seg_attack.smk"
include: "rules/citypersons.smk"
include: "rules/table_s1.smk"
include: "rules/claims.smk"


onstart:
    check_manual_datasets()


rule all:
    default_target: True
    input:
        rules.table1.input,
        rules.fig_s1.input,
        rules.claims.input,
        rules.table2.input,
        rules.fig_s2.input,
        rules.fig_seg_attack.input,
        rules.fig_s3.input,
        rules.fig_s4.input,
        rules.table_s1.input,
