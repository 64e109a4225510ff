/*
 * prelude.h - force-included (-include) first into every memgate source
 * file. It pulls in the C library headers that declare the banned
 * functions, so banned.h can then poison those names for the rest of the
 * translation unit (git includes banned.h last in git-compat-util.h for
 * the same reason).
 */
#ifndef MG_PRELUDE_H
#define MG_PRELUDE_H

#define _GNU_SOURCE 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#include "banned.h"

#endif
