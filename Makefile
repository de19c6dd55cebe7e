# "Adam, derived and executed": from a fresh clone, `make book` then `make test`.
#
#   make book    create/refresh .venv from requirements.txt, execute the chapters, build _build/html
#   make test    run the whole test suite (tests/) in the same environment
#   make serve   preview _build/html on http://127.0.0.1:$(PORT)
#   make ipynb   regenerate the output-free .ipynb twins of the chapter notebooks
#   make clean   remove _build (the HTML and the execution cache)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

VENV        := .venv
PYTHON      := $(VENV)/bin/python
# Touched after a successful install: the environment is rebuilt when the pins are newer.
VENV_STAMP  := $(VENV)/.stamp
PORT        ?= 8000
PYTEST_ARGS ?=
# Chapters executed at once before the build (Sphinx itself executes them one at a time).
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
# Chapter notebooks are the .md pages with a kernel; the other pages are plain MyST.
NOTEBOOKS    = $(shell grep -l '^kernelspec:' chapters/*.md 2>/dev/null)

# The chapters' sweeps multiply thousands of tiny matrices, where BLAS threads cost more than
# they save (twice the run time with two chapters executing at once on two cores).
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: book test serve ipynb clean format lint

# The chapters' code cells are formatted by ruff to the column the book shows (76 characters),
# through jupytext so that the MyST text notebooks stay the source.
CHAPTER_RUFF := --line-length 76 --stdin-filename cell.py -

# Importing matplotlib once builds its font cache, whose one-time notice on stderr would otherwise
# fail the first strict build on a fresh machine.
$(VENV_STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --progress-bar off -r requirements.txt
	$(PYTHON) -c "import matplotlib.pyplot"
	touch $@

# jupyter-cache keys executed notebooks on their code cells only, so the cache is emptied when
# adamlib or the pins change (tests/execution_cache.py); the chapters missing from it are then
# executed $(JOBS) at a time into it (tests/notebooks.py). Sphinx keeps its environment even when
# -W fails the build, and would not re-read (nor re-warn about) unchanged pages next time:
# dropping the doctrees after a failure keeps the next build strict.
book: $(VENV_STAMP)
	$(PYTHON) -m tests.notebooks --jobs $(JOBS)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going || { rm -rf _build/.doctrees; exit 1; }

test: $(VENV_STAMP)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

serve: book
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

ipynb: $(VENV_STAMP)
	$(if $(NOTEBOOKS),$(VENV)/bin/jupytext --to ipynb $(NOTEBOOKS),@echo "no chapter notebooks yet")

format: $(VENV_STAMP)
	for f in $(NOTEBOOKS); do PATH=$(VENV)/bin:$$PATH $(VENV)/bin/jupytext --quiet --pipe "ruff format $(CHAPTER_RUFF)" $$f; done

# Fails on library, test or benchmark code that ruff would flag or reformat (100 columns,
# pyproject.toml), on a type error in adamlib (mypy: a misspelt switch value, say), and on a
# chapter code cell that ruff would reformat or whose line is longer than 76.
lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check --no-cache adamlib tests benchmarks
	$(VENV)/bin/ruff format --check --no-cache adamlib tests benchmarks
	$(VENV)/bin/mypy
	for f in $(NOTEBOOKS); do \
	  PATH=$(VENV)/bin:$$PATH $(VENV)/bin/jupytext --quiet --check "ruff format --check $(CHAPTER_RUFF)" $$f; \
	done
	$(PYTHON) -m tests.chapter_lines $(NOTEBOOKS)

clean:
	rm -rf _build
