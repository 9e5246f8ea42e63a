# quizapp: `make run` starts the site with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PORT ?= 5000
FLASK := .venv/bin/flask --app wsgi

.PHONY: run test setup setup-test serve migrate demo translations lint bench bench-workers bench-multi bench-quiz bench-certificates bench-bank bench-items bench-items-db bench-indicators bench-round clean

# Links and QR codes of the local site point at the port it serves on.
run: export QUIZAPP_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) import-bank question_banks/*.yaml --unit AG
	$(FLASK) seed-demo-contest
	$(FLASK) import-programme question_banks/programmes/*.yaml --unit AG --publish
	$(FLASK) load-indicator-plans
	$(FLASK) seed-demo-activity
	@echo "==> quizapp on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: setup-test
	scripts/test.sh

setup:
	scripts/bootstrap.sh run

setup-test:
	scripts/bootstrap.sh test

serve: setup
	$(FLASK) db upgrade
	.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

migrate: setup
	$(FLASK) db upgrade

demo: setup
	$(FLASK) seed-demo

translations:
	.venv/bin/pybabel extract -F babel.cfg -k _l -k N_ -k Message -k lazy_gettext --no-location --sort-output -o quizapp/translations/messages.pot .
	.venv/bin/pybabel update -i quizapp/translations/messages.pot -d quizapp/translations --no-fuzzy-matching
	.venv/bin/pybabel compile -d quizapp/translations --statistics

lint:
	.venv/bin/ruff check quizapp tests bench

clean:
	rm -rf .venv node_modules instance

bench-quiz: setup-test
	.venv/bin/python bench/quiz_page.py

bench-certificates: setup-test
	.venv/bin/python bench/certificates.py --renders 1000

bench-bank: setup
	.venv/bin/python bench/bank_search.py

bench-items: setup
	.venv/bin/python bench/item_analysis.py

bench-items-db: setup-test
	.venv/bin/python bench/item_analysis_db.py 100000

# Plan indicators (issue 8): 1,000,000 members, 5,000 units, 2,000,000 completions; the data
# are generated once into instance/bench and reused. `make bench-indicators DB=postgres` runs
# it on a local PostgreSQL (127.0.0.1), started and stopped by the script; ARGS=--regenerate
# builds the data again.
bench-indicators: setup-test
	scripts/bench-db.sh bench/indicators.py $(or $(DB),sqlite) $(ARGS)

# The ranking and participation per unit of a round of 1,000,000 attempts
# (`make bench-round DB=postgres` on a local PostgreSQL, as bench-indicators).
bench-round: setup-test
	scripts/bench-db.sh bench/round_reads.py $(or $(DB),sqlite) $(ARGS)

# Load benchmark (issue 9): `make bench` (SQLite) or `make bench DB=postgres`.
DB ?= sqlite
bench:
	scripts/bootstrap.sh bench
	DB=$(DB) scripts/bench.sh $(ARGS)

bench-workers:
	scripts/bootstrap.sh bench
	.venv/bin/python bench/load/workers.py

bench-multi:
	scripts/bootstrap.sh bench
	scripts/bench_multi.sh
