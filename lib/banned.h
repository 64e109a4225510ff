/*
 * banned.h - functions memgate must not call, turned into compile errors.
 * Included (via CMake's -include) by every lib/, collector/ and server/
 * translation unit. Use snprintf into an mg_buf, strtoll with an end
 * pointer and errno, gmtime_r/localtime_r instead.
 */
#ifndef MG_BANNED_H
#define MG_BANNED_H

#define MG_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) MG_BANNED(strcpy)
#undef strcat
#define strcat(x, y) MG_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) MG_BANNED(strncpy)
#undef sprintf
#define sprintf(...) MG_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) MG_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) MG_BANNED(strtok)
#undef atoi
#define atoi(x) MG_BANNED(atoi)
#undef atol
#define atol(x) MG_BANNED(atol)
#undef gmtime
#define gmtime(t) MG_BANNED(gmtime)
#undef localtime
#define localtime(t) MG_BANNED(localtime)

#endif
