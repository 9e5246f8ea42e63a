# quizapp: `make run` starts the site with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PORT ?= 5000
FLASK := .venv/bin/flask --app wsgi

.PHONY: run test setup setup-test serve migrate demo translations lint bench bench-quiz bench-certificates bench-bank bench-items bench-items-db clean

# Links and QR codes of the local site point at the port it serves on.
run: export QUIZAPP_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) import-bank question_banks/*.yaml --unit AG
	$(FLASK) seed-demo-contest
	$(FLASK) import-programme question_banks/programmes/*.yaml --unit AG --publish
	$(FLASK) load-indicator-plans
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
	.venv/bin/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --no-location --sort-output -o quizapp/translations/messages.pot .
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
