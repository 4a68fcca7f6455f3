# The README's two commands: `make demo` and `make test`. Each creates the virtual environment
# .venv (if needed), installs papers into it, and runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= data/demo.duckdb
# eleven simulated models: eight kinds of priorities, one whose top two trade places with the wording
# (fragile), one that prefers whatever is shown first (position-biased) and one whose choices in
# dilemmas depart from the priorities it states (says-not-does)
DEMO_MODELS := --model simulated/human-centric --model simulated/utility-driven --model simulated/uniform \
	--model simulated/ethics-first --model simulated/relational --model simulated/growth-first \
	--model simulated/operational --model simulated/autonomy-seeking --model simulated/fragile \
	--model simulated/position-biased --model simulated/says-not-does

.PHONY: demo test docs bench clean examples

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/papers ingest survey data/examples/survey_qualtrics.csv --sample example \
		--mapping data/examples/survey_mapping.yaml \
		--demographics data/examples/prolific_demographics.csv --db $(DEMO_DB)
	$(BIN)/papers ingest responses data/examples/model_responses.jsonl --db $(DEMO_DB)
	$(BIN)/papers collect --db $(DEMO_DB) --simulated-profiles data/examples/simulated_profiles.yaml \
		$(DEMO_MODELS) --task rank --task rate --task choose
	$(BIN)/papers collect --db $(DEMO_DB) --simulated-profiles data/examples/simulated_profiles.yaml \
		$(DEMO_MODELS) --task open --trials 30
	$(BIN)/papers code --coder simulated/coder --db $(DEMO_DB)
	$(BIN)/papers code --coder simulated/coder-2 --db $(DEMO_DB)
	$(BIN)/papers db info --db $(DEMO_DB)
	$(BIN)/papers analyze --audit demo --db $(DEMO_DB)
	$(BIN)/papers report --audit demo --db $(DEMO_DB) --site reports/_site

# pytest runs the tests in a random order (pytest-randomly; it prints the seed, and -p no:randomly
# turns it off), the doctests of papers/analysis, and the slow tests too.
test: $(VENV)/.installed
	$(BIN)/ruff check papers tests bench data/examples docs
	$(BIN)/lint-imports
	$(BIN)/python -m sphinx -W --keep-going -b html -q docs docs/_build/html
	$(BIN)/python -m pytest

# the documentation site, offline, into docs/_build/html (open docs/_build/html/index.html)
docs: $(VENV)/.installed
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.installed
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/collect.py
	$(BIN)/python bench/analyze.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/validity.py

examples: $(VENV)/.installed
	$(BIN)/python data/examples/make_examples.py

clean:
	rm -rf $(VENV) dist build $(DEMO_DB) $(DEMO_DB).wal reports/_site docs/_build
