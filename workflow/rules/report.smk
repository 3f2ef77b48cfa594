rule pca_plot:
    input:
        test="results/{dataset}/features/test.done",
        vectors="results/{dataset}/generated/vectors.h5",
        scaler="results/{dataset}/features/scaler.json",
    output:
        report(
            "results/{dataset}/plots/pca.png",
            category="Figures",
            labels={
                "dataset": "{dataset}",
                "figure": "PCA generated vs test (Fig. 5)",
            },
        ),
    log:
        "results/{dataset}/logs/report/pca.log",
    benchmark:
        "results/{dataset}/benchmarks/report/pca.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("pca_plot.py"),
        representation=config["representation"],
    script:
        "../scripts/pca_plot.py"


rule gallery:
    input:
        "results/{dataset}/generated.parquet",
    output:
        report(
            "results/{dataset}/plots/gallery.png",
            category="Figures",
            labels={"dataset": "{dataset}", "figure": "generated crystals (Fig. 4)"},
        ),
    log:
        "results/{dataset}/logs/report/gallery.log",
    benchmark:
        "results/{dataset}/benchmarks/report/gallery.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("gallery.py"),
    script:
        "../scripts/gallery.py"
