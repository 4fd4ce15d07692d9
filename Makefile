# poolkit — see README.md.
GO        ?= go
PKGS      ?= ./...
# Property-based tests (pgregory.net/rapid) read RAPID_CHECKS from the environment.
RAPID_CHECKS ?= 300
BENCHTIME ?= 1s
COUNT     ?= 5

.PHONY: test bench lint fmt cover

## test: every test under the race detector, with enough random sequences to matter.
test:
	RAPID_CHECKS=$(RAPID_CHECKS) $(GO) test -race -count=1 $(PKGS)

## bench: the engine benchmarks, several runs (feed the output to benchstat).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(COUNT) ./reference/...

## cover: statement coverage of the engine.
cover:
	RAPID_CHECKS=$(RAPID_CHECKS) $(GO) test -count=1 -coverprofile=cover.out -coverpkg=./reference/pool ./reference/pool/... ./conformance/model/...
	$(GO) tool cover -func=cover.out | tail -1

## lint: gofmt, go vet and staticcheck.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1 $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
