# The README's commands. CGO is off everywhere: modernc.org/sqlite is pure Go.
export CGO_ENABLED ?= 0
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA ?= ./data

.PHONY: run test bench build vet sim

run:
	$(GO) run . serve -http.addr $(ADDR) -data_dir $(DATA)

# The race detector needs cgo; it is the only place cgo is switched on. The
# events replay property test is too slow under the race detector (pure-Go
# SQLite), so it is built with !race and runs in a second pass without it.
test: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'Property' ./events

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

build:
	$(GO) build -o liaptui .

sim:
	$(GO) run . sim -games 1000 -seed 1
