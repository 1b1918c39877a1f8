# Supplement S1, Fig. S1: decode location from frozen encoders with GAPNet vs ShuffleNet readouts.

_s1 = config["fig_s1"]
S1_CATEGORY = "Supplement S1: location from frozen encoders"


rule fig_s1_latents:
    input:
        encoder=f"{RESULTS}/encoders/{{encoder}}.pt",
        cifar=f"{DATA}/cifar10",
    output:
        f"{RESULTS}/fig_s1/latents/{{encoder}}.pt",
    log:
        f"{LOGS}/fig_s1/latents_{{encoder}}.log",
    benchmark:
        f"{BENCH}/fig_s1/latents_{{encoder}}.tsv"
    wildcard_constraints:
        encoder="|".join(_s1["encoders"]),
    priority: 1
    conda:
        "../envs/chanpos.yaml"
    resources:
        gpu=GPUS,
    params:
        cfg=_s1,
    script:
        "../scripts/fig_s1_latents.py"


# One job fits every seed of one (encoder, readout): the latents are cached, so a fit takes
# seconds and a job per seed would mostly pay for starting Python and importing torch.
rule fig_s1_readout:
    input:
        f"{RESULTS}/fig_s1/latents/{{encoder}}.pt",
    output:
        expand(
            f"{RESULTS}/fig_s1/runs/{{{{encoder}}}}_{{{{readout}}}}_seed{{seed}}.json",
            seed=_s1["seeds"],
        ),
    log:
        f"{LOGS}/fig_s1/{{encoder}}_{{readout}}.log",
    benchmark:
        f"{BENCH}/fig_s1/{{encoder}}_{{readout}}.tsv"
    wildcard_constraints:
        encoder="|".join(_s1["encoders"]),
        readout="gapnet|shufflenet",
    conda:
        "../envs/chanpos.yaml"
    params:
        cfg=_s1,
    script:
        "../scripts/fig_s1_readout.py"


rule make_fig_s1:
    input:
        expand(
            f"{RESULTS}/fig_s1/runs/{{encoder}}_{{readout}}_seed{{seed}}.json",
            encoder=_s1["encoders"],
            readout=_s1["readouts"],
            seed=_s1["seeds"],
        ),
    output:
        pdf=report(
            f"{RESULTS}/figures/fig_s1.pdf",
            caption="../report/fig_s1.rst",
            category=S1_CATEGORY,
            subcategory="Fig. S1",
            labels={"artefact": "Fig. S1", "content": "figure (PDF)"},
        ),
        png=report(
            f"{RESULTS}/figures/fig_s1.png",
            caption="../report/fig_s1.rst",
            category=S1_CATEGORY,
            subcategory="Fig. S1",
            labels={"artefact": "Fig. S1", "content": "figure (PNG)"},
        ),
        csv=f"{RESULTS}/figures/fig_s1.csv",
        md=f"{RESULTS}/figures/fig_s1.md",
        html=report(
            f"{RESULTS}/figures/fig_s1.html",
            caption="../report/fig_s1_numbers.rst",
            category=S1_CATEGORY,
            subcategory="Fig. S1",
            labels={"artefact": "Fig. S1", "content": "numbers, notes, provenance"},
        ),
    log:
        f"{LOGS}/figures/fig_s1.log",
    benchmark:
        f"{BENCH}/figures/fig_s1.tsv"
    conda:
        "../envs/chanpos.yaml"
    script:
        "../scripts/make_fig_s1.py"


rule fig_s1:
    input:
        rules.make_fig_s1.output,


localrules:
    fig_s1,
