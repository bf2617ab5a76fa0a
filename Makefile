# The targets CI runs. `make test` is the README's test command: it installs
# what the tests need, then runs every test.
GO ?= go
FUZZTIME ?= 30s

.PHONY: run test deps lint bench fuzz build screenshots

run:
	$(GO) run ./cmd/hubprofiles --dev

# VERSION is what hubprofiles_build_info reports (default: git describe).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

build:
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/hubprofiles ./cmd/hubprofiles

deps:
	./scripts/install-deps

# The packages with concurrency (the live feed and its refresh, the store's
# writers, the editor's caches and hooks, the login sessions, the registry
# checker's cache, the usage watcher) run under the race detector; the rest
# without it.
RACE := auth edit registry server store usage
empty :=
space := $(empty) $(empty)

test: deps lint
	$(GO) test -count=1 $$($(GO) list ./... | grep -vE '/hubprofiles/($(subst $(space),|,$(RACE)))$$')
	$(GO) test -race -count=1 $(addprefix ./,$(RACE))
	$(MAKE) chart-test

# gofmt, go vet, go.mod tidy, staticcheck (built from its module, cached
# after the first run) and the OpenAPI spec with Redocly CLI (pinned in
# tools/openapi, installed from the npm registry).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: openapi-lint
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run $(STATICCHECK) ./...

.PHONY: openapi-lint
openapi-lint:
	cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error
	cd api && ../tools/openapi/node_modules/.bin/redocly lint openapi.yaml --config redocly.yaml --format=summary

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The pages' screenshots in docs/screenshots, taken by the browser journeys.
screenshots: deps
	E2E_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 ./e2e

# A longer fuzz run of each target (the seed corpus runs in `make test`).
# Minimising a new input is capped (Go's default is 60 s per input, which on
# large inputs ate most of a run); fuzzing mode also seeds only the small
# real lists (profilelist/fuzz_test.go).
FUZZMINIMIZETIME ?= 5s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseImportRender -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./profilelist
	$(GO) test -run '^$$' -fuzz FuzzMarkupAccepted -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./profilelist

# The chart and the image (tools/ is a Go module of its own, which keeps Helm and
# the Kubernetes modules out of the main go.mod; the root go test does not enter it).
.PHONY: chart-test

chart-test:
	@echo "chart-test: building helm v3.22.0 from its Go module (a few minutes the first time, cached after)..."
	@cd tools && start=$$(date +%s) && $(GO) tool -n helm >/dev/null && \
	  echo "chart-test: helm ready in $$(( $$(date +%s) - start ))s"
	@out=$$(cd tools && gofmt -l .); \
	  if [ -n "$$out" ]; then echo "gofmt would change (tools/):"; echo "$$out"; exit 1; fi
	cd tools && $(GO) vet ./...
	cd tools && $(GO) test -count=1 ./...
