/*
 * curl_lazy.c - libcurl for memgate-server, loaded on first use.
 *
 * Why: libcurl brings about twenty shared libraries with it (Kerberos,
 * LDAP, libssh2, libssl, libpsl, libidn2, librtmp, brotli, ...), whose
 * mapped pages cost the idle daemon about a megabyte of RSS (issue 6:
 * idle RSS under 10 MB), while the server needs HTTP only to deliver
 * forge notifications (lib/httpc.c) and to print its version
 * (lib/version.c). So memgate-server does not link libcurl: this file
 * defines the curl functions lib/ calls, and the first call of any of
 * them dlopen()s libcurl.so.4, looks the real functions up and runs
 * curl_global_init, once for the process (pthread_once: libcurl's global
 * init is not thread-safe, and the delivery thread is not the only
 * caller). The collector, the tests and the fuzzers link libcurl itself
 * and never see this file.
 *
 * When libcurl cannot be loaded, every call fails the way libcurl reports
 * failures, never crashes: curl_easy_init and curl_slist_append return
 * NULL, the CURLcode functions CURLE_FAILED_INIT, curl_version_info NULL,
 * and curl_easy_strerror returns why loading failed ("cannot load
 * libcurl.so.4: <dlerror>") whatever the code, which is how lib/httpc.c
 * and lib/version.c name the cause.
 *
 * The global init done by the load is released by curl_global_cleanup,
 * which does nothing (and loads nothing) while libcurl is not loaded:
 * main.c calls mg_httpc_global_cleanup once on its way out.
 *
 * The executable does not export these definitions (no -rdynamic), and
 * libcurl is opened RTLD_LOCAL, so libcurl's calls to its own functions
 * never land here.
 */
/* curl.h's type-checking macros would rename the definitions below. */
#define CURL_DISABLE_TYPECHECK 1

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

/* libcurl's ABI name: its soname has been libcurl.so.4 since 7.16 (2006). */
#define MG_CURL_SONAME "libcurl.so.4"
/* Why loading failed: dlerror() names a path and a reason, one line. */
#define MG_CURL_LOAD_ERROR_MAX 512

/* Any function pointer travels through va_arg as this type. */
typedef void (*any_fn)(void);

/* The real functions, set once by load(). */
static struct {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	curl_version_info_data *(*version_info)(CURLversion age);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_reset)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
	                                   const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Loaded and globally initialised; read without loading at cleanup. */
static atomic_bool loaded;
/* Why not, when load() failed; written once, inside load(). */
static char load_error[MG_CURL_LOAD_ERROR_MAX];

/* dlsym's void * as a function pointer: POSIX guarantees the cast works. */
static void *lookup(void *lib, const char *name, bool *ok)
{
	void *fn = dlsym(lib, name);

	if (fn == NULL && *ok) {
		snprintf(load_error, sizeof(load_error),
		         "cannot load " MG_CURL_SONAME ": %s", dlerror());
		*ok = false;
	}
	return fn;
}

static void load(void)
{
	void *lib;
	bool ok = true;
	CURLcode rc;

	lib = dlopen(MG_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		snprintf(load_error, sizeof(load_error),
		         "cannot load " MG_CURL_SONAME ": %s", dlerror());
		return;
	}
	real.global_init =
	        (CURLcode(*)(long))lookup(lib, "curl_global_init", &ok);
	real.global_cleanup =
	        (void (*)(void))lookup(lib, "curl_global_cleanup", &ok);
	real.version_info = (curl_version_info_data * (*)(CURLversion))
	        lookup(lib, "curl_version_info", &ok);
	real.easy_init = (CURL * (*)(void)) lookup(lib, "curl_easy_init", &ok);
	real.easy_setopt = (CURLcode(*)(CURL *, CURLoption, ...))lookup(
	        lib, "curl_easy_setopt", &ok);
	real.easy_perform =
	        (CURLcode(*)(CURL *))lookup(lib, "curl_easy_perform", &ok);
	real.easy_getinfo = (CURLcode(*)(CURL *, CURLINFO, ...))lookup(
	        lib, "curl_easy_getinfo", &ok);
	real.easy_reset = (void (*)(CURL *))lookup(lib, "curl_easy_reset", &ok);
	real.easy_cleanup =
	        (void (*)(CURL *))lookup(lib, "curl_easy_cleanup", &ok);
	real.easy_strerror = (const char *(*)(CURLcode))lookup(
	        lib, "curl_easy_strerror", &ok);
	real.slist_append =
	        (struct curl_slist * (*)(struct curl_slist *, const char *))
	                lookup(lib, "curl_slist_append", &ok);
	real.slist_free_all = (void (*)(struct curl_slist *))lookup(
	        lib, "curl_slist_free_all", &ok);
	if (!ok) {
		/* not the libcurl we know: nothing of it gets called */
		memset(&real, 0, sizeof(real));
		dlclose(lib);
		return;
	}
	rc = real.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		/* kept open: a failed init may have left state behind */
		snprintf(load_error, sizeof(load_error),
		         MG_CURL_SONAME ": global init failed: %s",
		         real.easy_strerror(rc));
		return;
	}
	atomic_store(&loaded, true);
}

/* Load libcurl unless done already; false when it is unusable. */
static bool ready(void)
{
	pthread_once(&load_once, load);
	return atomic_load(&loaded);
}

CURLcode curl_global_init(long flags)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	return real.global_init(flags);
}

void curl_global_cleanup(void)
{
	/* Never loads: at exit, nothing to release unless it was used. */
	if (atomic_load(&loaded))
		real.global_cleanup();
}

curl_version_info_data *curl_version_info(CURLversion age)
{
	if (!ready())
		return NULL;
	return real.version_info(age);
}

CURL *curl_easy_init(void)
{
	if (!ready())
		return NULL;
	return real.easy_init();
}

/*
 * The option's number says the type of its one argument (curl.h: the
 * CURLOPTTYPE_* bases, 10000 apart), so it is read with that type and
 * passed on as it came. Numbers outside the ranges are refused as libcurl
 * would, without reading an argument of unknown type.
 */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	va_list ap;
	CURLcode rc;
	int opt = (int)option;

	if (!ready())
		return CURLE_FAILED_INIT;
	if (opt < CURLOPTTYPE_LONG || opt >= CURLOPTTYPE_BLOB + 10000)
		return CURLE_UNKNOWN_OPTION;
	va_start(ap, option);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = real.easy_setopt(curl, option, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real.easy_setopt(curl, option, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = real.easy_setopt(curl, option, va_arg(ap, any_fn));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = real.easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = real.easy_setopt(curl, option,
		                      va_arg(ap, struct curl_blob *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	return real.easy_perform(curl);
}

/* Every CURLINFO_* takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = real.easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void curl_easy_reset(CURL *curl)
{
	if (ready())
		real.easy_reset(curl);
}

void curl_easy_cleanup(CURL *curl)
{
	/* NULL (no handle was ever made) must not load the library. */
	if (curl != NULL && ready())
		real.easy_cleanup(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	if (!ready())
		return load_error;
	return real.easy_strerror(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	if (!ready())
		return NULL;
	return real.slist_append(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (list != NULL && ready())
		real.slist_free_all(list);
}
