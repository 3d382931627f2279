# zoo's entry points. `make test` and `make demo` are the README's two
# commands: each runs the set-up first (apt packages, the patched gotch
# copy), which is quick when already done.

GO      ?= go
SHARED  ?= $(abspath ../shared)
export ZOO_SHARED := $(SHARED)

.PHONY: setup build test test-short bench bench-memory gobench demo vet fmt clean

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

# The benchmark suite (docs/performance.md): zoo against the PyTorch
# reference of bench/ (python3-torch: ZOO_WITH_PYTORCH=1 make setup) on
# small, base, resnet20 and preresnet110, alternating, then each residual
# variant's cost against post-ln. Run it on a quiet machine. The tables go
# to stdout, every figure to runs/bench/bench.json; BENCH_ARGS adds flags
# (BENCH_ARGS=--quick for a smoke test).
BENCH_ARGS ?=
bench: build
	mkdir -p runs/bench
	bin/zoo bench --compare-pytorch --variant-table --out runs/bench/bench.json $(BENCH_ARGS)

# Resident memory and live tensors over 5,000 ResNet-20 updates (about
# half an hour on 2 cores).
bench-memory: build
	mkdir -p runs/bench
	bin/zoo bench --memory --models resnet20 --updates 5000 --out runs/bench/memory.json $(BENCH_ARGS)

# The Go benchmarks of the packages (go test -bench).
gobench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

demo: build
	bash scripts/demo.sh

clean:
	rm -rf bin
