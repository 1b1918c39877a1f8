# Main Sec. 4.2 and Figs. S3/S4: rank DeepLabv3's latent channels by Eq. 2 (overall, left-,
# right-specific), zero the top N (or N random) and measure mIoU on the image and its regions.

_sa = config["seg_attack"]
SEG_RANKINGS = ["overall", "left", "right"]
# The authors' released rankings (PermuteNet repo), compared with ours when configured and the
# model is theirs (another model's channel indices are unrelated to theirs).
_SEG_REFERENCE = {
    "overall": "ordered_positional_encoding_neurons_absolute_difference.json",
    "left": "left_ordered_positional_encoding_neurons_signed_difference.json",
    "right": "right_ordered_positional_encoding_neurons_signed_difference.json",
}
_seg_reference = (
    {
        k: str(Path(workflow.basedir, _sa["reference"], v))
        for k, v in _SEG_REFERENCE.items()
    }
    if _sa.get("reference")
    and config["encoders"]["deeplabv3_cityscapes"]["source"] == "vainf"
    else {}
)


rule seg_rank:
    input:
        model=SEGMENTER,
        data=cityscapes_input(),
        reference=list(_seg_reference.values()),
    output:
        **{
            name: f"{RESULTS}/seg_attack/{{model}}/rankings/{name}.json"
            for name in SEG_RANKINGS
        },
        summary=f"{RESULTS}/seg_attack/{{model}}/rankings.json",
    log:
        f"{LOGS}/seg_attack/{{model}}/rank.log",
    benchmark:
        f"{BENCH}/seg_attack/{{model}}/rank.tsv"
    wildcard_constraints:
        model=one_of(SEG_MODELS),
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        root=lambda wc: cityscapes_root(),
        cfg=_sa,
        reference=_seg_reference,
        seed=lambda wc: SEG_SEEDS[wc.model],
    script:
        "../scripts/seg_rank.py"


rule seg_attack:
    input:
        **{
            name: f"{RESULTS}/seg_attack/{{model}}/rankings/{name}.json"
            for name in SEG_RANKINGS
        },
        model=SEGMENTER,
        data=cityscapes_input(),
    output:
        csv=f"{RESULTS}/seg_attack/{{model}}/attack.csv",
        summary=f"{RESULTS}/seg_attack/{{model}}/attack.json",
    log:
        f"{LOGS}/seg_attack/{{model}}/attack.log",
    benchmark:
        f"{BENCH}/seg_attack/{{model}}/attack.tsv"
    wildcard_constraints:
        model=one_of(SEG_MODELS),
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        root=lambda wc: cityscapes_root(),
        cfg=_sa,
        seed=lambda wc: SEG_SEEDS[wc.model],
    script:
        "../scripts/seg_attack.py"


rule seg_attack_table:
    input:
        csv=expand(rules.seg_attack.output.csv, model=SEG_MODELS),
        summary=expand(rules.seg_attack.output.summary, model=SEG_MODELS),
    output:
        csv=f"{RESULTS}/tables/seg_attack.csv",
        summary=f"{RESULTS}/tables/seg_attack.json",
    log:
        f"{LOGS}/seg_attack/table.log",
    benchmark:
        f"{BENCH}/seg_attack/table.tsv"
    conda:
        "../envs/chanpos.yaml"
    params:
        models=SEG_MODELS,
    script:
        "../scripts/seg_attack_table.py"


SEG_CATEGORY = "Sec. 4.2: position-specific channels"


rule make_seg_attack_figure:
    input:
        csv=rules.seg_attack_table.output.csv,
        summary=rules.seg_attack_table.output.summary,
    output:
        pdf=report(
            f"{RESULTS}/figures/{{figure}}.pdf",
            caption="../report/seg_attack.rst",
            category=SEG_CATEGORY,
            subcategory="{figure}",
            labels={"artefact": "{figure}", "content": "figure (PDF)"},
        ),
        png=report(
            f"{RESULTS}/figures/{{figure}}.png",
            caption="../report/seg_attack.rst",
            category=SEG_CATEGORY,
            subcategory="{figure}",
            labels={"artefact": "{figure}", "content": "figure (PNG)"},
        ),
        csv=f"{RESULTS}/figures/{{figure}}.csv",
        md=f"{RESULTS}/figures/{{figure}}.md",
        html=report(
            f"{RESULTS}/figures/{{figure}}.html",
            caption="../report/seg_attack_numbers.rst",
            category=SEG_CATEGORY,
            subcategory="{figure}",
            labels={"artefact": "{figure}", "content": "numbers, notes, provenance"},
        ),
    log:
        f"{LOGS}/figures/{{figure}}.log",
    benchmark:
        f"{BENCH}/figures/{{figure}}.tsv"
    wildcard_constraints:
        figure="fig_seg_attack|fig_s3|fig_s4",
    conda:
        "../envs/chanpos.yaml"
    script:
        "../scripts/make_seg_attack_figure.py"


rule fig_seg_attack:
    input:
        expand(rules.make_seg_attack_figure.output, figure="fig_seg_attack"),


rule fig_s3:
    input:
        expand(rules.make_seg_attack_figure.output, figure="fig_s3"),


rule fig_s4:
    input:
        expand(rules.make_seg_attack_figure.output, figure="fig_s4"),


localrules:
    seg_attack_table,
    fig_seg_attack,
    fig_s3,
    fig_s4,
