# Onedoor: the usual targets. `make test` is the README's test command.
GO ?= go

.PHONY: build run demo test test-postgres lint fuzz bench clean

build:
	$(GO) build -o bin/onedoor ./cmd/onedoor

run:
	$(GO) run ./cmd/onedoor serve

demo:
	$(GO) run ./cmd/onedoor demo

test:
	./scripts/test

test-postgres:
	./scripts/test ./sqldb/...

lint:
	@bad=$$(gofmt -l .); if [ -n "$$bad" ]; then echo "gofmt would change: $$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fuzz:
	$(GO) test ./workflow -run '^$$' -fuzz FuzzApply -fuzztime 60s
	$(GO) test . -run '^$$' -fuzz FuzzParseIDNumber -fuzztime 30s
	$(GO) test ./catalog -run '^$$' -fuzz FuzzLoad -fuzztime 30s

bench:
	$(GO) test ./sqldb -run '^$$' -bench Intake -benchtime 3s

clean:
	rm -rf bin
