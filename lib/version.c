/*
 * version.c - run-time library versions: what the process really loaded,
 * which can differ from the headers it was compiled against.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <zlib.h>

#include "version.h"

const char *mg_version(void)
{
	return MG_VERSION;
}

int mg_version_libs(mg_buf *out)
{
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	/*
	 * NULL only in memgate-server, which loads libcurl when first used
	 * (server/curl_lazy.c): then curl_easy_strerror says why it could
	 * not.
	 */
	const char *curl = cv ? cv->version : "unavailable: ";
	const char *why = cv ? "" : curl_easy_strerror(CURLE_FAILED_INIT);

	return mg_buf_printf(out,
	                     "SQLite %s\n"
	                     "libcurl %s%s\n"
	                     "zlib %s\n"
	                     "cJSON %s\n"
	                     "protobuf-c %s\n"
	                     "%s\n",
	                     sqlite3_libversion(), curl, why, zlibVersion(),
	                     cJSON_Version(), protobuf_c_version(),
	                     OpenSSL_version(OPENSSL_VERSION));
}
