# Warnings for every memgate target; -Werror only when MEMGATE_WERROR is on
# (CI), so a newer compiler's new warning does not break a user's build.
set(MG_WARNINGS
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wformat=2 -Wundef -Wno-unused-parameter)
if(MEMGATE_WERROR)
	list(APPEND MG_WARNINGS -Werror)
endif()

function(mg_target_defaults target)
	target_compile_options(${target} PRIVATE ${MG_WARNINGS})
	target_compile_options(${target} PRIVATE
		-include ${PROJECT_SOURCE_DIR}/lib/prelude.h)
endfunction()
