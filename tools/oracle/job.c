// SPDX-License-Identifier: MIT
/* The kernel oracle's job: directives read from stdin (format: the comment in xdp-oracle.c). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "oracle.h"

struct job job;

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "xdp-oracle: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static struct bytes parse_hex(const char *s)
{
	size_t len = strlen(s);
	struct bytes b = { malloc(len / 2 + 1), len / 2 };
	if (len % 2)
		die("odd-length hex: %.40s", s);
	for (size_t i = 0; i < b.n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			die("bad hex: %.40s", s);
		b.p[i] = v;
	}
	return b;
}

static char *next_token(char **rest)
{
	char *t = strsep(rest, " ");
	return t && *t ? t : NULL;
}

static char *need(char **rest, const char *what)
{
	char *t = next_token(rest);
	if (!t)
		die("directive needs %s", what);
	return strdup(t);
}

void read_job(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		char *rest = line, *verb;
		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		verb = next_token(&rest);
		if (!verb || verb[0] == '#')
			continue;
		if (!strcmp(verb, "object")) {
			job.object = need(&rest, "a path");
		} else if (!strcmp(verb, "load") || !strcmp(verb, "run")) {
			char *name = need(&rest, "a program name"), *opt = next_token(&rest);
			if (job.nload >= MAX_ITEMS)
				die("too many programs");
			job.force_xdp[job.nload] = opt && !strcmp(opt, "xdp");
			job.load[job.nload++] = name;
			if (!strcmp(verb, "run"))
				job.run = name;
		} else if (!strcmp(verb, "max_entries")) {
			job.size_map[job.nsize] = need(&rest, "a map name");
			job.size_n[job.nsize++] = strtoul(need(&rest, "a size"), NULL, 0);
		} else if (!strcmp(verb, "global")) {
			job.global[job.nglobal] = need(&rest, "a variable name");
			job.global_val[job.nglobal++] = parse_hex(need(&rest, "hex bytes"));
		} else if (!strcmp(verb, "update") || !strcmp(verb, "slot")) {
			struct update *u = &job.updates[job.nupdate++];
			char *t;
			u->map = need(&rest, "a map name");
			u->key = parse_hex(need(&rest, "a key"));
			if (!strcmp(verb, "slot"))
				u->prog = need(&rest, "a program name");
			else
				while ((t = next_token(&rest)) && u->nvalues < 64)
					u->values[u->nvalues++] = parse_hex(t);
			if (!u->prog && !u->nvalues)
				die("update of %s has no value", u->map);
		} else if (!strcmp(verb, "fill")) {
			struct update *u = &job.updates[job.nupdate++];
			char *t;
			u->map = need(&rest, "a map name");
			u->fill = true;
			u->first = strtoul(need(&rest, "the first key"), NULL, 0);
			u->count = strtoul(need(&rest, "a count"), NULL, 0);
			while ((t = next_token(&rest)) && u->nvalues < 64)
				u->values[u->nvalues++] = parse_hex(t);
			if (!u->nvalues)
				die("fill of %s has no value", u->map);
		} else if (!strcmp(verb, "ignore")) {
			job.ignore[job.nignore++] = need(&rest, "a map name");
		} else if (!strcmp(verb, "packet")) {
			struct packet *p = &job.packets[job.npacket++];
			char *t;
			p->name = need(&rest, "a packet name");
			p->data = parse_hex(need(&rest, "the frame"));
			while ((t = next_token(&rest))) {
				unsigned v = 0;
				if (sscanf(t, "meta=%u", &v) == 1)
					p->meta = v, p->has_ctx = true;
				else if (sscanf(t, "ifindex=%u", &v) == 1)
					p->ifindex = v, p->has_ctx = true;
				else if (sscanf(t, "queue=%u", &v) == 1)
					p->queue = v, p->has_ctx = true;
				else if (sscanf(t, "repeat=%u", &v) == 1)
					p->repeat = v;
				else
					die("unknown packet option %s", t);
			}
		} else {
			die("unknown directive %s", verb);
		}
		if (job.nupdate >= MAX_ITEMS || job.npacket >= MAX_ITEMS || job.nsize >= MAX_ITEMS ||
		    job.nglobal >= MAX_ITEMS || job.nignore >= MAX_ITEMS)
			die("too many directives");
	}
	free(line);
	if (!job.object || !job.run)
		die("the job needs `object` and `run`");
}

/* xdpchain's name for a map: global data maps (libbpf calls them OBJ.bss) by their section. */
