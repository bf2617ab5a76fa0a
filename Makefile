# The targets CI runs. `make test` is the README's test command: it installs
# what the tests need, then runs every test.
GO ?= go
FUZZTIME ?= 30s

.PHONY: run test deps lint bench fuzz build

run:
	$(GO) run ./cmd/hubprofiles --dev

build:
	CGO_ENABLED=0 $(GO) build -o bin/hubprofiles ./cmd/hubprofiles

deps:
	./scripts/install-deps

test: deps lint
	$(GO) test -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A longer fuzz run of each target (the seed corpus runs in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseImportRender -fuzztime $(FUZZTIME) ./profilelist
