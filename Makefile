# NovaCart: `make run` starts the whole system, `make test` runs every test. Both set up what is missing first.
.PHONY: setup run run-cluster test coverage test-python test-slow reliability audit bench lint messages migration clean

setup:  ## install what is missing: .venv, Redis, the client's packages and build (WITH_NGINX=1: nginx too)
	@scripts/setup.sh

run: setup  ## Redis, migrations, demo data, web + worker + beat (Ctrl-C stops all)
	@scripts/run.sh

run-cluster:  ## the production layout locally: nginx on :8111 in front of 2 web processes, 2 workers, beat, Redis
	@WITH_NGINX=1 scripts/setup.sh
	@scripts/run.sh --cluster

test: setup  ## every test: Python (SQLite; PostgreSQL with TEST_DATABASE_URL) and the client's
	@scripts/test.sh

coverage: setup  ## the tests measured: branches of novacart/ in every process (>= 90 %) and the client's (>= 85 %); htmlcov/
	@COVERAGE=1 scripts/test.sh

test-python: setup  ## only the Python suite
	@SKIP_CLIENT=1 scripts/test.sh

test-slow: setup  ## the slow fault and soak tests (2,000 notifications in flight each; minutes)
	@SKIP_CLIENT=1 scripts/test.sh tests/system -m slow

reliability: setup  ## every fault and attack test, then docs/reliability.md from their figures
	@rm -rf .reliability
	-@SKIP_CLIENT=1 scripts/test.sh tests/system --run-slow
	.venv/bin/python -m tests.system.report

audit: setup  ## known vulnerabilities: pip-audit (requirements.txt), npm audit --audit-level=high
	@scripts/audit.sh

bench: setup  ## NovaCart beside a Node Socket.IO peer: tables, bench/results.json, docs/performance.md (ARGS="--quick")
	@.venv/bin/python -m pip install -q -r bench/requirements.txt
	.venv/bin/python -m bench.run $(ARGS)

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

messages:  ## extract the server's texts (Python and Jinja, babel.cfg) and update every catalog under novacart/translations/
	@scripts/messages.sh

migration:  ## after changing models: make migration m="add something"
	NOVACART_CONFIG=development .venv/bin/flask --app wsgi db migrate -m "$(m)"

clean:
	rm -rf .venv client/node_modules client/dist instance
