"""The mnemo experiment: does a mnemo core survive a language adapter trained on top of it?

    python -m experiments --quick                 # tiny random Llama, under a minute (tests)
    python -m experiments --out build/experiment  # SmolLM2-135M-Instruct on a CPU
    python -m experiments --device cuda --dtype bfloat16 --rows 4096 --seeds 0,1,2,3,4

Arms (experiments.config) train the same rows with the same optimizer steps and seeds,
through the training plugin; every model state is measured under each adapter combination
(experiments.measure) and reported with 95 % intervals (experiments.report).
"""
