# poolkit — see README.md.
GO        ?= go
PKGS      ?= ./...
# Property-based tests (pgregory.net/rapid) read RAPID_CHECKS from the environment.
RAPID_CHECKS ?= 300
BENCHTIME ?= 1s
COUNT     ?= 5

.PHONY: test check sim bench lint fmt cover fuzz fuzz-handlers build

## test: every test under the race detector, with enough random sequences to matter,
## then a short fuzzing run of the HTTP handlers.
test:
	RAPID_CHECKS=$(RAPID_CHECKS) $(GO) test -race -count=1 $(PKGS)
	$(MAKE) --no-print-directory fuzz-handlers FUZZTIME=$(SHORT_FUZZTIME)

## check: the conformance suite (rule checks, property sequences, scenario library)
## against the embedded reference deployment; reports in reports/. TARGET= and FIXTURE=
## judge another deployment.
TARGET  ?=
FIXTURE ?=
check:
	$(GO) run ./cmd/poolkit check $(if $(TARGET),--target $(TARGET)) $(if $(FIXTURE),--fixture $(FIXTURE)) \
		--json reports/check.json --junit reports/check.xml --failure-dir reports/failures

## sim: the default load simulation profile in-process (SIM_PROFILE= for another, SIM_FLAGS=
## for more flags); summary on the terminal, reports in reports/sim/; fails when a
## threshold fails.
SIM_PROFILE ?= uniform-round-robin
SIM_FLAGS   ?=
sim:
	$(GO) run ./cmd/poolkit sim $(SIM_PROFILE) --json reports/sim/$(SIM_PROFILE).json --html reports/sim/$(SIM_PROFILE).html $(SIM_FLAGS)

SHORT_FUZZTIME ?= 5s
fuzz-handlers:
	$(GO) test -run '^$$' -fuzz='^FuzzSend$$' -fuzztime=$(FUZZTIME) ./reference/api
	$(GO) test -run '^$$' -fuzz='^FuzzRelayEvents$$' -fuzztime=$(FUZZTIME) ./reference/api

## bench: the engine benchmarks, several runs (feed the output to benchstat).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(COUNT) ./reference/...

## build: the poolkit binary (static, as for a FROM scratch image).
build:
	CGO_ENABLED=0 $(GO) build -o poolkit ./cmd/poolkit

## fuzz: each fuzz target for FUZZTIME (make test runs them on their seed corpus only).
FUZZTIME ?= 30s
fuzz: fuzz-handlers
	$(GO) test -run '^$$' -fuzz='^FuzzValidE164$$' -fuzztime=$(FUZZTIME) ./reference/numbering
	$(GO) test -run '^$$' -fuzz='^FuzzVerify$$' -fuzztime=$(FUZZTIME) ./internal/relaysig

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
