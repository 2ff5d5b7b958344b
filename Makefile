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

run:
	pip install . && coach demo && coach serve

evals:
	coach eval comments
	coach eval retrieval
	coach eval targets

bench:
	python -m benchmarks
