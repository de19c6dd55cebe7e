# "Adam, derived and executed": from a fresh clone, `make book` then `make test`.
#
#   make book    create/refresh .venv from requirements.txt, execute the chapters, build _build/html
#                (English) and _build/html/zh (the Chinese edition, from the same execution)
#   make pdf     typeset the executed book as one PDF per edition with XeLaTeX (after `make book`)
#   make pot     extract the English strings and add new ones to locale/zh_CN (after `make book`)
#   make test    run the whole test suite (tests/) in the same environment
#   make test-reader  execute every chapter's reader notebook as a reader would (after make book)
#   make test-zh the browser checks on the Chinese edition's pages (after make book)
#   make serve   preview _build/html on http://127.0.0.1:$(PORT)
#   make ipynb   regenerate the reader notebooks chapters/*.ipynb from the build (runs make book)
#   make lab     install requirements-lab.txt into .venv and open JupyterLab in chapters/
#   make clean   remove _build (the HTML and the execution cache)
#   make release VERSION=x.y   set the book's version in CITATION.cff, commit and tag vx.y

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

VENV        := .venv
PYTHON      := $(VENV)/bin/python
# Touched after a successful install: the environment is rebuilt when the pins are newer.
VENV_STAMP  := $(VENV)/.stamp
PORT        ?= 8000
PYTEST_ARGS ?= --durations=25
# Chapters executed at once before the build (Sphinx itself executes them one at a time).
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
# Chapter notebooks are the .md pages with a kernel; the other pages are plain MyST.
NOTEBOOKS    = $(shell grep -l '^kernelspec:' chapters/*.md 2>/dev/null)

# The chapters' sweeps multiply thousands of tiny matrices, where BLAS threads cost more than
# they save (twice the run time with two chapters executing at once on two cores).
export OPENBLAS_NUM_THREADS ?= 1
# Figures (matplotlib) and the PDF carry the commit's date instead of the build's, so that two
# builds of one commit are identical.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: book test test-reader test-zh serve ipynb lab clean format lint pdf release pot

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
# dropping the doctrees after a failure keeps the next build strict. Last, the website's ".ipynb"
# download buttons get the reader notebooks (tests/reader_notebooks.py), in place of the executed
# MyST notebooks the theme copies there.
book: $(VENV_STAMP)
	$(PYTHON) -m tests.notebooks --jobs $(JOBS)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going || { rm -rf _build/.doctrees; exit 1; }
	$(PYTHON) -m tests.reader_notebooks --site
	$(MAKE_POT)
	$(PYTHON) -m tests.editions html

# The whole book as one PDF, typeset by XeLaTeX from the execution cache `make book` filled (no
# chapter runs twice). Needs Debian's texlive-xetex, texlive-latex-extra, latexmk and
# fonts-freefont-otf (.ci/run installs them). The PDF is also copied beside the website.
PDF_NAME := adam-derived-and-executed.pdf
pdf: $(VENV_STAMP)
	$(VENV)/bin/jupyter-book build . --builder pdflatex -W -n --keep-going
	mkdir -p _build/html && cp _build/latex/$(PDF_NAME) _build/html/$(PDF_NAME)
	$(PYTHON) -m tests.editions pdf

# The catalogue templates (_build/gettext/<page>.pot, Sphinx's gettext builder over the English
# pages) and the Chinese catalogues brought up to date with them: a new English string is added
# untranslated, and the translation tests fail until it is translated (tests/translation.py).
MAKE_POT = $(VENV)/bin/jupyter-book build . --path-output _build/pot --builder custom \
	--custom-builder gettext -W -n --keep-going -q && $(PYTHON) -m tests.translation --figures-template
pot: $(VENV_STAMP)
	$(MAKE_POT)
	$(PYTHON) -m tests.translation --update

# Two workers (pytest-xdist), each test module whole in one of them (--dist loadscope): the
# browser module, which loads every page once per process, runs beside the rest of the suite.
# Each worker's torch keeps to one thread (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(VENV_STAMP)
	$(PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Each chapter's committed reader notebook, executed in a fresh kernel as Jupyter/Colab would run
# it (about a minute of CPU, so not in `make test`); one chapter per core.
test-reader: $(VENV_STAMP)
	$(PYTHON) -m pytest -n $(JOBS) tests/reader_execution.py $(PYTEST_ARGS)

# The Chinese edition in the browser: the checks of tests/test_browser.py on every page under
# _build/html/zh (both themes, both widths, printed; no missing glyph), after `make book`.
test-zh: $(VENV_STAMP)
	BROWSER_EDITION=zh $(PYTHON) -m pytest tests/test_browser.py $(PYTEST_ARGS)

serve: book
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# The reader notebooks take their numbers from the build, so the build comes first.
ipynb: book
	$(PYTHON) -m tests.reader_notebooks --commit

LAB_STAMP := $(VENV)/.lab-stamp
$(LAB_STAMP): requirements-lab.txt $(VENV_STAMP)
	$(PYTHON) -m pip install --progress-bar off -r requirements-lab.txt
	touch $@

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=chapters

format: $(VENV_STAMP)
	for f in $(NOTEBOOKS); do PATH=$(VENV)/bin:$$PATH $(VENV)/bin/jupytext --quiet --pipe "ruff format $(CHAPTER_RUFF)" $$f; done

# Fails on library, test or benchmark code that ruff would flag or reformat (100 columns,
# pyproject.toml), on a type error in adamlib (mypy: a misspelt switch value, say), and on a
# chapter code cell that ruff would reformat or whose line is longer than 76 (ruff reads the code
# cells of .ipynb copies, each cell as the reader sees it).
lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check --no-cache adamlib tests benchmarks
	$(VENV)/bin/ruff format --check --no-cache adamlib tests benchmarks
	$(VENV)/bin/mypy
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for f in $(NOTEBOOKS); do $(VENV)/bin/jupytext --quiet --to ipynb -o "$$tmp/$$(basename $$f .md).ipynb" $$f; done && \
	$(VENV)/bin/ruff format --check --quiet --isolated --line-length 76 "$$tmp" && \
	$(VENV)/bin/ruff check --quiet --no-cache --isolated --select E501 --line-length 76 "$$tmp"

clean:
	rm -rf _build

# A release fixes what "Theorem 2.1 in version 1.0" means: the version goes into CITATION.cff
# (which every page's footer shows, with the commit), that change is committed, and the commit is
# tagged v$(VERSION). Build and test first (`make book test`); publish with
# `git push origin HEAD v$(VERSION)`.
release:
	@[[ "$(VERSION)" =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$$ ]] || { echo "usage: make release VERSION=x.y (e.g. 1.0)" >&2; exit 1; }
	@git diff --quiet HEAD -- || { echo "release: commit or stash your changes first" >&2; exit 1; }
	@! git rev-parse -q --verify "refs/tags/v$(VERSION)" >/dev/null || { echo "release: tag v$(VERSION) exists" >&2; exit 1; }
	sed -i -E 's/^( *)version: .*/\1version: "$(VERSION)"/' CITATION.cff
	if grep -q '^date-released:' CITATION.cff; then \
	  sed -i -E 's/^date-released: .*/date-released: "'"$$(date -u +%F)"'"/' CITATION.cff; \
	else \
	  sed -i -E 's/^version: (.*)/version: \1\ndate-released: "'"$$(date -u +%F)"'"/' CITATION.cff; \
	fi
	git commit -q -m "Release $(VERSION): version in CITATION.cff" -- CITATION.cff
	git tag -a "v$(VERSION)" -m "Adam, derived and executed, version $(VERSION)"
	@echo "Tagged v$(VERSION). Publish it with: git push origin HEAD v$(VERSION)"
