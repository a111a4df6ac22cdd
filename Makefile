# aigwc — build, test, bench, fuzz, install.
#   make            build aigwc, libaigw.a, libaigw.so
#   make demo       one screen of what aigwc does: tests, lint, audit, decisions
#   make test       unit + end-to-end tests (installs missing packages as root)
#   make bench      benchmarks against Cedar and CEL (node + npm)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (clang)
#   make install    PREFIX=/usr/local DESTDIR=
# SAN=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/.

CC      ?= cc
PREFIX  ?= /usr/local
SAN     ?=
BUILD   ?= $(if $(SAN),build-san,build)
FUZZ_SECONDS ?= 60
VERSION := $(shell sed -n 's/^#define AIGW_VERSION_STRING "\(.*\)".*/\1/p' runtime/aigw.h)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
SANFLAGS := -fsanitize=address -fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     ?= $(if $(SAN),-O1 $(SANFLAGS),-O2)
CFLAGS  ?=
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g $(OPT) $(WARN) -fPIC \
              -fvisibility=hidden -I$(BUILD)/gen -Ilang -Icompiler -Iruntime -Iaudit -Iserve -Ilint $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS := $(if $(SAN),$(SANFLAGS)) $(LDFLAGS)
LIBS    := -ljansson -lcrypto -lm -lpthread
CLILIBS := $(LIBS) -lmicrohttpd -lcurl -lhiredis

GEN      := $(BUILD)/gen/lex.c $(BUILD)/gen/grammar.c $(BUILD)/gen/grammar.h
LANG_SRC := $(filter-out lang/lex.c lang/grammar.c,$(wildcard lang/*.c))
COMP_SRC := $(wildcard compiler/*.c)
RT_SRC   := $(wildcard runtime/*.c)
CLI_SRC  := $(wildcard cli/*.c audit/*.c lint/*.c)
SRV_SRC  := $(wildcard serve/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LANG_OBJ := $(call obj,$(LANG_SRC)) $(BUILD)/obj/gen/lex.o $(BUILD)/obj/gen/grammar.o
COMP_OBJ := $(call obj,$(COMP_SRC))
RT_OBJ   := $(call obj,$(RT_SRC))
CLI_OBJ  := $(call obj,$(CLI_SRC)) $(BUILD)/obj/gen/lint_stdlib.o
SRV_OBJ  := $(call obj,$(SRV_SRC))
UNIT_OBJ := $(call obj,$(UNIT_SRC))

AIGWC   := $(BUILD)/aigwc
LIBA    := $(BUILD)/libaigw.a
LIBSO   := $(BUILD)/libaigw.so
LIBSRV  := $(BUILD)/libsrv.a

.PHONY: all deps demo test unit e2e bench fuzz install clean FORCE
.DELETE_ON_ERROR:

all: $(AIGWC) $(LIBA) $(LIBSO) $(BUILD)/aigw.pc

deps:
	@sh tools/deps.sh

# ---- generated sources: built, never committed ----
$(BUILD)/gen/lex.c: lang/lex.re | $(BUILD)/gen/grammar.h
	@mkdir -p $(@D)
	re2c -W -Werror --no-generation-date -o $@ $<
$(BUILD)/gen/grammar.c $(BUILD)/gen/grammar.h &: lang/grammar.y
	@mkdir -p $(BUILD)/gen
	cp lang/grammar.y $(BUILD)/gen/grammar.y
	@# lemon exits non-zero on any conflict, which fails the build
	cd $(BUILD)/gen && lemon grammar.y
	@# lemon keeps an unchanged header's old time stamp; refresh both outputs
	@touch $(BUILD)/gen/grammar.c $(BUILD)/gen/grammar.h
# the shipped lint rules, compiled into aigwc
$(BUILD)/gen/lint_stdlib.c: tools/embed.sh $(wildcard stdlib-policies/lint/*.aigw)
	@mkdir -p $(@D)
	@sh tools/embed.sh $@ $(filter %.aigw,$^)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -Ilang -c -o $@ $<
$(BUILD)/obj/%.o: %.c $(GEN)
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- libraries and the CLI ----
$(LIBA): $(RT_OBJ)
	@echo "  AR $@"
	@rm -f $@ && ar rcs $@ $^
$(LIBSO): $(RT_OBJ)
	@echo "  LD $@"
	@$(CC) -shared -Wl,-soname,libaigw.so.0 $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
# aigwc serve's layers (serve/), an archive so that the unit tests take only what they use
$(LIBSRV): $(SRV_OBJ)
	@echo "  AR $@"
	@rm -f $@ && ar rcs $@ $^
$(AIGWC): $(CLI_OBJ) $(COMP_OBJ) $(LANG_OBJ) $(LIBSRV) $(LIBA)
	@echo "  LD $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(COMP_OBJ) $(LANG_OBJ) $(LIBSRV) $(LIBA) $(CLILIBS)
# rebuilt whenever PREFIX changes, so `make install PREFIX=…` installs a matching file
$(BUILD)/aigw.pc: runtime/aigw.pc.in FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# ---- the main job: compile the shipped examples and show decisions ----
demo: deps all
	@sh tools/demo.sh $(AIGWC)

# ---- tests ----
$(BUILD)/unit: $(UNIT_OBJ) $(COMP_OBJ) $(LANG_OBJ) $(LIBSRV) $(LIBA)
	@echo "  LD $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CLILIBS) -lcunit

unit: $(BUILD)/unit
	cd tests && ../$(BUILD)/unit

e2e: all
	@sh tests/e2e/run.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory all $(BUILD)/unit
	@$(MAKE) --no-print-directory unit e2e

bench: deps all
	@sh tests/bench/run.sh $(BUILD)

fuzz:
	@sh tools/deps.sh --fuzz
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all $(BUILD)/aigw.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(AIGWC) $(DESTDIR)$(PREFIX)/bin/aigwc
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/libaigw.a
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/libaigw.so.$(VERSION)
	ln -sf libaigw.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libaigw.so.0
	ln -sf libaigw.so.0 $(DESTDIR)$(PREFIX)/lib/libaigw.so
	install -m 644 runtime/aigw.h $(DESTDIR)$(PREFIX)/include/aigw.h
	install -m 644 $(BUILD)/aigw.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/aigw.pc
	sh tools/man.sh $(AIGWC) $(BUILD)/man
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 tools/aigwc.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/aigwc

FORCE:

clean:
	rm -rf build build-san build-fuzz
