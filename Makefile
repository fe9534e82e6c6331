# One entry point per job; each installs what it needs first.
.PHONY: demo test lint bench fuzz rpm nspawn-image test-nspawn test-system lab-build lab-corpus test-lab clean

demo:
	@scripts/bootstrap.sh base
	.venv/bin/kcrashd analyze examples/127.0.0.1-2020-04-28-01:31:54

test:
	@scripts/bootstrap.sh test
	.venv/bin/ruff check kcrashd tests bench
	.venv/bin/mypy kcrashd
	.venv/bin/python -m pytest $(PYTEST_ARGS)

lint:
	@scripts/bootstrap.sh test
	.venv/bin/ruff check kcrashd tests bench
	.venv/bin/mypy kcrashd

bench:
	@scripts/bootstrap.sh test
	.venv/bin/python bench/triage.py
	.venv/bin/python bench/daemon.py
	.venv/bin/python bench/alerting.py
	.venv/bin/python bench/alerting_hostile.py
	.venv/bin/python bench/fleet.py

# Longer fuzzing of triage than CI's minute: FUZZ_SECONDS of corpus mutations (default 600), then
# every input family; bench/fuzz.py gives the absolute speed of the same inputs.
fuzz:
	@scripts/bootstrap.sh test
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} .venv/bin/python -m pytest -q tests/core/test_fuzz.py
	.venv/bin/python bench/fuzz.py

rpm:
	@scripts/bootstrap.sh test
	scripts/build-rpm.sh

nspawn-image:
	@scripts/bootstrap.sh test
	.venv/bin/python tests/packaging/nspawn_image.py

test-nspawn: nspawn-image
	.venv/bin/python -m pytest -m nspawn tests/packaging

test-system:
	@scripts/bootstrap.sh test
	.venv/bin/python -m pytest -m system tests/system

lab-build:
	python3 -m lab build

lab-corpus:
	python3 -m lab corpus --kernel deb12-6.1 --kernel deb13-6.12 --kernel deb11-5.10 --kernel deb12-6.1-arm64 \
		--kernel deb12-6.1-rt --kernel deb12-6.1-ppc64el --kernel deb12-6.1-s390x --kernel sid-7.2

test-lab:
	@scripts/bootstrap.sh test
	.venv/bin/python -m pytest -m lab tests/lab

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache build *.egg-info
