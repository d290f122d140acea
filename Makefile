# twvault — everyday targets. `make demo` and `make test` each install what is missing first.
SWIFT ?= swift
# --no-export-dynamic undoes the --export-dynamic of the static standard library's link arguments:
# ~27,000 exported symbols cost every start the loader's lookups and the runtime's dladdr.
# lld (shipped with the toolchain) packs the ~75,000 relative relocations of the position-independent
# binary as RELR, which the loader applies faster, and makes the stripped binary 1.9 MB smaller.
# Concrete type metadata through direct accessors, not mangled names demangled at run time: the
# demangler's generic-requirement checks were the protocol-conformance scans of every start.
# -Osize: 1.7 MB less code than -O, and no more instructions on the hot path (docs/PERFORMANCE.md);
# --icf=all folds identical functions (the specialisations of generic code). --disable-local-rpath:
# no $ORIGIN search path, so the loader does not look beside the binary for libc, libm or libgcc_s.
RELEASE_FLAGS = -c release --static-swift-stdlib --disable-local-rpath -Xlinker --no-export-dynamic \
	-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
	-Xswiftc -Osize -Xlinker --icf=all
# libsodium, SQLite, zlib and libstdc++ from their static archives (scripts/static-libs): four
# shared objects fewer for the loader to map and relocate at every start.
STATIC_LIBS = $(CURDIR)/.build/static-libs
RELEASE_ENV = PKG_CONFIG_PATH=$(STATIC_LIBS)/pkgconfig
# Extra flags for every `swift` call of install (a test passes --ignore-lock: `swift test` holds .build's lock).
SWIFT_FLAGS ?=

# `make install [PREFIX=/usr/local] [DESTDIR=…]`: the stripped static binary, its man page and the
# completion scripts; `make uninstall` removes exactly these files.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASH_COMPLETIONS = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSH_COMPLETIONS = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISH_COMPLETIONS = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
INSTALLED = $(BINDIR)/twvault $(MANDIR)/twvault.1 $(BASH_COMPLETIONS)/twvault $(ZSH_COMPLETIONS)/_twvault \
	$(FISH_COMPLETIONS)/twvault.fish

.PHONY: deps static-libs build release test demo bench bench-data campaigns fuzz lint clean install uninstall

deps:
	@scripts/install-deps

static-libs: deps
	@scripts/static-libs >/dev/null

build: deps
	$(SWIFT) build

release: static-libs
	$(RELEASE_ENV) $(SWIFT) build $(RELEASE_FLAGS) --product twvault
	$(RELEASE_ENV) $(SWIFT) build $(RELEASE_FLAGS) --product twilio-standin

test: deps
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build

demo: release
	@scripts/demo

bench: release bench-data
	@scripts/bench

bench-data: static-libs
	$(RELEASE_ENV) $(SWIFT) build $(RELEASE_FLAGS) --product twvault-benchdata

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

# The man page comes from argument-parser's GenerateManual plugin, which reads the command
# definitions from a debug build (`twvault --experimental-dump-help`): the plugin cannot build with
# --static-swift-stdlib, and a debug build is what `make test` has already made.
# INSTALL_BUILD and INSTALL_ENV choose the build that is installed (the test suite installs its
# debug build, as it is, with both set).
INSTALL_BUILD ?= $(RELEASE_FLAGS)
INSTALL_ENV ?= $(RELEASE_ENV)
install:
	$(if $(INSTALL_ENV),@scripts/static-libs >/dev/null)
	$(SWIFT) package $(SWIFT_FLAGS) plugin generate-manual --configuration debug
	$(INSTALL_ENV) $(SWIFT) build $(SWIFT_FLAGS) $(INSTALL_BUILD) --product twvault
	mkdir -p .build/install
	bin=$$($(INSTALL_ENV) $(SWIFT) build $(SWIFT_FLAGS) $(INSTALL_BUILD) --show-bin-path) && \
	cp "$$bin/twvault" .build/install/twvault
	.build/install/twvault completion bash > .build/install/twvault.bash
	.build/install/twvault completion zsh > .build/install/_twvault
	.build/install/twvault completion fish > .build/install/twvault.fish
	install -d $(BINDIR) $(MANDIR) $(BASH_COMPLETIONS) $(ZSH_COMPLETIONS) $(FISH_COMPLETIONS)
	install -s -m 0755 .build/install/twvault $(BINDIR)/twvault
	install -m 0644 .build/plugins/GenerateManual/outputs/twvault/twvault.1 $(MANDIR)/twvault.1
	install -m 0644 .build/install/twvault.bash $(BASH_COMPLETIONS)/twvault
	install -m 0644 .build/install/_twvault $(ZSH_COMPLETIONS)/_twvault
	install -m 0644 .build/install/twvault.fish $(FISH_COMPLETIONS)/twvault.fish

uninstall:
	rm -f $(INSTALLED)

clean:
	rm -rf .build
