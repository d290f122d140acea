# twvault — everyday targets. `make demo` and `make test` each install what is missing first.
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib

.PHONY: deps build release test demo bench campaigns fuzz lint clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product twvault
	$(SWIFT) build $(RELEASE_FLAGS) --product twilio-standin

test: deps
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build

demo: release
	@scripts/demo

bench: release
	$(SWIFT) build $(RELEASE_FLAGS) --product twvault-benchdata
	@scripts/bench

# Long forms: 200 kill -9 iterations, then 20 concurrent writers (the test suite runs 15 and 20).
campaigns: build
	scripts/crash-campaign 200
	scripts/concurrency-campaign 20

# libFuzzer over the parsers and decoders, FUZZ_SECONDS each (CI runs `scripts/fuzz 10`).
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

# swift format's lint over every Swift file, with the committed .swift-format; zero findings.
lint:
	$(SWIFT) format lint --strict -r Sources Tests Fuzz Plugins migrations Package.swift

clean:
	rm -rf .build
