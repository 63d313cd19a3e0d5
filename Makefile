# `make demo` and `make test` set up whatever is missing (through `make env`) and run.
# The environment lives outside the clone (~/.cache/wsl/venv-<hash of requirements/>, or $WSL_VENV).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTEST_ARGS ?=

.PHONY: help env demo test bench clean

help:
	@echo "make env   - set up the environment (idempotent); prints its bin/ folder last"
	@echo "make demo  - set up, then run 'wsl demo' (report in work_dirs/demo/)"
	@echo "make test  - set up, then run the whole test suite with pytest"

env:
	@bash scripts/env.sh

demo:
	@bin=$$(bash scripts/env.sh | tail -n 1) && "$$bin/wsl" demo

test:
	@bin=$$(bash scripts/env.sh | tail -n 1) && "$$bin/python" -m pytest $(PYTEST_ARGS)

clean:
	rm -rf build dist *.egg-info wsl/.mim .pytest_cache
