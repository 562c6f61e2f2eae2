# Developer entry points. PYTHON defaults to the README's .venv when present.
PYTHON ?= $(shell test -x .venv/bin/python && echo .venv/bin/python || echo python3)
RUNS ?= 200000
FUZZ_DIR ?= $(or $(TMPDIR),/tmp)/obkimg-fuzz
ONLY ?=

.PHONY: test test-ci properties hardening fuzz fuzz-smoke bench

## the whole test suite (hypothesis dev profile)
test:
	$(PYTHON) -m pytest -q

## the whole suite as CI runs it (hypothesis ci profile: 200 examples per property)
test-ci:
	CI=1 $(PYTHON) -m pytest -q

properties:
	CI=1 $(PYTHON) -m pytest -q tests/properties

hardening:
	$(PYTHON) -m pytest -q tests/hardening

## every atheris harness for RUNS executions, one after the other (make fuzz RUNS=200000 ONLY=rbl)
fuzz:
	$(PYTHON) tests/fuzz/run_all.py --runs $(RUNS) --workdir $(FUZZ_DIR) $(foreach o,$(ONLY),--only $(o))

## run each harness once on its seeds, without atheris (quick check that the harnesses work)
fuzz-smoke:
	for h in tests/fuzz/fuzz_*.py; do $(PYTHON) $$h --seeds-only || exit 1; done

## every benchmark script
bench:
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PYTHON) $$b || exit 1; done
