# One task runner: `make demo`, `make test`, `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo

.PHONY: install demo test lint bench clean

$(BIN)/tower: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/tower
	@# The report's browser test drives Debian's Chromium (never a downloaded browser build).
	@test -x /usr/bin/chromium || DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
		|| (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

demo: install
	rm -rf $(DEMO)
	$(BIN)/tower sample $(DEMO)/bundle
	$(BIN)/tower init $(DEMO)/workspace
	$(BIN)/tower -w $(DEMO)/workspace import $(DEMO)/bundle
	$(BIN)/tower -w $(DEMO)/workspace status
	$(BIN)/tower -w $(DEMO)/workspace synthesize --top 12
	$(BIN)/tower -w $(DEMO)/workspace value
	$(BIN)/tower -w $(DEMO)/workspace plan --report $(DEMO)/report
	@echo "Demo workspace: $(DEMO)/workspace  (try: $(BIN)/tower -w $(DEMO)/workspace patterns)"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/import_speed.py
	$(BIN)/python bench/cluster_quality.py --corpus all
	$(BIN)/python bench/pattern_granularity.py --json
	$(BIN)/python bench/synthesize_speed.py --signals 100000
	$(BIN)/python bench/value_mc.py
	$(BIN)/python bench/nrp.py --all
	$(BIN)/python bench/roadmap_scale.py
	$(BIN)/python bench/whynot_scale.py

clean:
	rm -rf $(VENV) $(DEMO) .mypy_cache .ruff_cache .pytest_cache
