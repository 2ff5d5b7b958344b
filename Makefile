.PHONY: test lint fmt typecheck run evals bench

test:
	bash scripts/test.sh

lint:
	ruff check .
	ruff format --check .

fmt:
	ruff check --fix .
	ruff format .

typecheck:
	mypy

# The demo company on the first run only: later runs keep the home and the tokens printed then.
run:
	pip install . && { coach user list >/dev/null 2>&1 || coach demo; } && coach serve

evals:
	coach eval comments
	coach eval retrieval
	coach eval targets
	coach eval verdicts
	python -m evals.claims --demo

bench:
	python -m benchmarks
