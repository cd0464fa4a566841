# Two commands do all the setup: `make grade` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# test files run in this many worker processes (pytest-xdist); 2 fits the 2-core machine
TEST_JOBS ?= 2

.PHONY: grade test lint bench clean-venv help

help:
	@echo "make grade   create the environment if needed, then grade assignments/"
	@echo "             (make grade EX=ex1 grades one exercise)"
	@echo "make test    create the environment if needed, then run the whole test suite"
	@echo "make lint    ruff over the project"
	@echo "make bench   run the benchmarks in benchmarks/"

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV)/ (first time only, about a minute): pip prints what it installs"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -e '.[dev]'
	@touch $(STAMP)
	@echo "$(VENV)/ is ready"

# `make grade` prints the table and exits 0 (the table says what failed);
# `make grade EX=ex1` grades one exercise; CI calls `autograde --strict` to fail on a failure.
EX ?=
grade: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/autograde assignments $(if $(EX),--exercise $(EX))

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m ruff check .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

lint: $(STAMP)
	$(BIN)/python -m ruff check .

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_lstm.py

clean-venv:
	rm -rf $(VENV)

# Course authoring: course/<id>.py -> source/ -> release/ (+ assignments/ for new exercises).
.PHONY: notebooks release walkthrough
notebooks: $(STAMP)
	$(BIN)/python -m course.build

release: notebooks
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m course.release

walkthrough: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m course.walkthrough
