.PHONY: setup demo test check bench
setup:
	bash scripts/setup.sh
demo:
	bash scripts/demo.sh
test check:
	bash scripts/test.sh
bench: setup
	.venv/bin/python bench/ingest_large.py
	.venv/bin/python bench/ingest_small.py
	.venv/bin/python bench/metadata.py
	.venv/bin/python bench/export.py
