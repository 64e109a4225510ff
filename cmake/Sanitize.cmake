# -DMEMGATE_SANITIZE=ON: AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer on every target, compile and link, and any
# UB report is fatal so ctest sees it.
if(MEMGATE_SANITIZE)
	set(MG_SAN_FLAGS -fsanitize=address,undefined
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer)
	add_compile_options(${MG_SAN_FLAGS})
	add_link_options(${MG_SAN_FLAGS})
endif()

# -DMEMGATE_FUZZ=ON: instrument every target (the core library included)
# for libFuzzer's coverage feedback; only the fuzzers link its main().
if(MEMGATE_FUZZ)
	add_compile_options(-fsanitize=fuzzer-no-link)
endif()
