# Every target sets itself up: the virtual environment is created on first use and the
# fast-layer extension is (re)built when its sources change.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH_VERSION := 2.13.0
SUBMISSION ?=
JOBS ?= 2

.PHONY: help venv build test test-fast grade check expected calibrate student handout bench \
        bench-grader bench-batch bench-similarity bench-mistakes batch autograder system-packages\
        clean

help:
	@echo "make grade              grade the built-in sample submissions (main job)"
	@echo "make grade SUBMISSION=p grade one submission (folder or .zip)"
	@echo "make check              grade your working copy assignment/student/"
	@echo "make test               run the test suite"
	@echo "make bench              fast layers vs naive vs PyTorch, medians and ratios"
	@echo "make bench-mistakes     named-mistake rate on the student-style corpus"
	@echo "make expected           regenerate grader/golden/expected/ from the reference"
	@echo "make calibrate          set the training check's thresholds from the reference"
	@echo "make student            regenerate assignment/student/ and the student notebooks"
	@echo "make handout            build dist/handout.zip"
	@echo "make autograder         build dist/autograder.zip (Gradescope)"
	@echo "make batch DIR=d        grade a folder of submissions into a gradebook"
	@echo "make bench-similarity   the similarity report on a class of 500 with disguised copies"

$(STAMP): setup.py pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=69" wheel "Cython>=3.0" numpy -c constraints.txt
	$(PY) -m pip install --quiet --no-build-isolation -c constraints.txt -e ".[test,notebooks,scale]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

venv: $(STAMP)

# Rebuild the extension in place whenever a .pyx changes (pip -e built it once).
build: $(STAMP)
	$(PY) setup.py -q build_ext --inplace

# PyTorch CPU is a test-only oracle; this pinned version installs from the local wheel cache.
$(VENV)/.torch: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt torch==$(TORCH_VERSION) || echo "torch not installable: its tests will be skipped"
	touch $@

# Debian packages the tests use: Chromium opens the HTML reports headless,
# dataset-fashion-mnist is the data fallback's first choice, and clang builds a copy of the
# fast layers as macOS would (no OpenMP). Installed when we are root and they are missing
# (CI); elsewhere the tests that need them skip and say so.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v clang >/dev/null 2>&1 || missing="$$missing clang"; \
	[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || \
	  missing="$$missing dataset-fashion-mnist"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $$missing >/dev/null; } || echo "could not install$$missing: the tests that need them will skip"; \
	  else \
	    echo "not installed:$$missing (apt-get install$$missing): the tests that need them will skip"; \
	  fi; \
	fi

test: build $(VENV)/.torch system-packages
	$(PY) -m pytest -q

test-fast: build
	$(PY) -m pytest -q -m "not slow and not notebook"

# Without SUBMISSION: grade the built-in samples one by one (tables), then as a batch
# (gradebook CSV, per-student JSON/HTML and a summary page in grader-runs/gradebook/).
grade: build
ifdef SUBMISSION
	$(PY) -m grader grade "$(SUBMISSION)"
else
	$(PY) -m grader samples --keep grader-runs/samples
	$(PY) -m grader batch grader-runs/samples --jobs $(JOBS) --out grader-runs/gradebook
endif

batch: build
	$(PY) -m grader batch "$(DIR)" --jobs $(JOBS) --out $(or $(OUT),grader-runs/batch)

bench-batch: build
	$(PY) -m grader.batch.bench --n 50 --jobs $(JOBS)

# Ranking quality, false flags and time of the similarity report, and copydetect's on the
# same generated class (see grader/similarity/bench.py).
bench-similarity: build
	$(PY) -m grader.similarity.bench --n 500 --copydetect

# A self-check of your own working copy: whoever runs it has the answers on disk already,
# so grading goes on where the sandbox cannot hide them (a host without Landlock or mount
# namespaces); `make grade` never does.
check: build
	GRADER_ALLOW_VISIBLE_ORACLE=1 $(PY) -m grader grade assignment/student

expected: build
	$(PY) -m grader.golden.generate

# The training check's thresholds (grader/golden/expected/training.json): the reference
# trained with the check's recipe on each dataset available here (CIFAR-10 when present).
calibrate: build
	$(PY) -m grader.checks.training_calibrate

student: $(STAMP)
	$(PY) -m tools.make_student

handout: student
	$(PY) -m tools.make_handout

bench: build $(VENV)/.torch
	$(PY) -m assignment.fast_layers.bench

bench-grader: build
	$(PY) -m grader.bench

# Named mistakes on the student-style corpus (tests/grader/mistakes/corpus/): named rate,
# wrong namings; --set heldout for the entries written after the recognisers were frozen.
bench-mistakes: build
	$(PY) -m tests.grader.mistakes.bench --jobs $(JOBS)

autograder: build
	$(PY) -m tools.make_autograder

clean:
	rm -rf build dist assignment/fast_layers/*.so assignment/fast_layers/*.c
