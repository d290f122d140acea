# twvault — everyday targets. `make demo` and `make test` each install what is missing first.
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib

.PHONY: deps build release test demo bench clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product twvault
	$(SWIFT) build $(RELEASE_FLAGS) --product twilio-standin

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: release
	@scripts/demo

bench: release
	$(SWIFT) build $(RELEASE_FLAGS) --product twvault-benchdata
	@scripts/bench

clean:
	rm -rf .build
