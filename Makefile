# The two commands of the README quick start.
.PHONY: run test lint

run:  ## install and run the whole product (web, worker, scheduler, Amazon sandbox, embedded Redis)
	./scripts/run

test:  ## install what the tests need and run the whole suite (SQLite, then PostgreSQL)
	./scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
