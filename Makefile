# zoo's entry points. `make test` and `make demo` are the README's two
# commands: each runs the set-up first (apt packages, the patched gotch
# copy), which is quick when already done.

GO      ?= go
SHARED  ?= $(abspath ../shared)
export ZOO_SHARED := $(SHARED)

.PHONY: setup build test test-short bench demo vet fmt clean

setup:
	bash scripts/setup.sh

COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo "-dirty")

build: setup
	$(GO) build -ldflags "-X main.Commit=$(COMMIT)" -o bin/zoo ./cmd/zoo

# The whole suite: unit, golden-value and fixture tests, and the short
# end-to-end runs. Kept under 20 minutes on 2 cores.
test: setup vet
	$(GO) test -count=1 -timeout 30m ./...

test-short: setup
	$(GO) test -short -count=1 ./...

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

demo: build
	bash scripts/demo.sh

clean:
	rm -rf bin
