/* SPDX-License-Identifier: MIT */
/* Shared by the kernel oracle's parts: the job read from stdin and the helpers both use. */
#ifndef XDP_ORACLE_H
#define XDP_ORACLE_H
#include <stdbool.h>
#include <stddef.h>

#define MAX_ITEMS 512


struct bytes {
	unsigned char *p;
	size_t n;
};

struct update {
	char *map, *prog;
	bool fill;
	unsigned first, count;
	struct bytes key;
	struct bytes values[64];
	int nvalues;
};

struct packet {
	char *name;
	struct bytes data;
	unsigned meta, ifindex, queue, repeat;
	bool has_ctx;
};

struct job {
	char *object, *run;
	char *load[MAX_ITEMS];
	bool force_xdp[MAX_ITEMS];
	int nload;
	char *size_map[MAX_ITEMS];
	unsigned size_n[MAX_ITEMS];
	int nsize;
	char *global[MAX_ITEMS];
	struct bytes global_val[MAX_ITEMS];
	int nglobal;
	struct update updates[MAX_ITEMS];
	int nupdate;
	char *ignore[MAX_ITEMS];
	int nignore;
	struct packet packets[MAX_ITEMS];
	int npacket;
};

/* The job read from stdin (job.c). */
extern struct job job;

/* libbpf's messages of the current load, kept to explain a failed load. */

/* Print a message and exit 2 (a malformed job or a failed setup step). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Read the job directives from stdin into `job` (see xdp-oracle.c for the format). */
void read_job(void);

#endif
