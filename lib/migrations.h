/*
 * migrations.h - the SQL migrations of schema/, embedded at build time by
 * cmake/EmbedSchema.cmake. Version N is the Nth file; PRAGMA user_version
 * records the last one applied.
 */
#ifndef MG_MIGRATIONS_H
#define MG_MIGRATIONS_H

typedef struct mg_migration {
	int version;      /* 1-based, equals the file's NNNN prefix */
	const char *name; /* file name, for messages */
	const char *sql;  /* the whole file */
} mg_migration;

extern const mg_migration mg_migrations[];
extern const int mg_migrations_count;

#endif
