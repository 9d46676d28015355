// SPDX-License-Identifier: MIT
/*
 * xdp-oracle: runs XDP programs of a BPF object on the running kernel and prints what the
 * kernel answered, as one JSON object on stdout. Used by tools/corpus/run.ts to record the
 * reference answers that xdpchain is compared with.
 *
 * The job comes on stdin, one directive a line (tokens separated by single spaces; hex is
 * lower- or upper-case without 0x):
 *
 *   object PATH                    the BPF object (first line)
 *   load PROG [xdp]                autoload PROG (every other program is off); `xdp` forces
 *                                  its type to BPF_PROG_TYPE_XDP (legacy section names)
 *   run PROG                       the program the packets are run through (also loaded)
 *   max_entries MAP N              bpf_map__set_max_entries before load
 *   global VAR HEX                 bytes of a .data/.rodata/.bss variable, found by BTF name
 *   global VAR+OFFSET HEX          the same, at a byte offset inside the variable
 *   update MAP KEY VALUE [VALUE…]  map update after load; per-CPU maps take one value per
 *                                  CPU (a single value is given to every CPU)
 *   slot MAP KEY PROG              prog_array slot -> a loaded program of the object
 *   fill MAP FIRST COUNT V [V…]    keys FIRST..FIRST+COUNT-1 (u32) get the values in turn
 *                                  (a consistent-hash ring as a load balancer's userspace fills it)
 *   ignore MAP                     do not dump MAP (time-dependent contents)
 *   packet NAME HEX [meta=N] [ifindex=N] [queue=N] [repeat=N]
 *
 * MAP is the map's name as xdpchain spells it: the BTF/ELF map name, or for global data the
 * section name (`.bss`, `.rodata`, …). Every packet runs on a fresh load of the object, pinned
 * to CPU 0, in a private network namespace whose lo is up. Nothing is pinned: pin paths are
 * cleared, and /sys/fs/bpf is a private, empty bpffs in the oracle's own mount namespace.
 *
 * Output: {"kernel","libbpf","possibleCpus","load":{…},"cases":[{"packet","result"}]} where a
 * result is {"retval","dataOut","ctxOut"?,"maps"} or {"error": ERRNO} (test-run refused) or
 * {"loadError": ERRNO, "message"} (this load failed). Map dumps are sorted by key; array slots
 * that are all zero and empty devmap/cpumap slots are left out like absent hash keys.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "oracle.h"

#define OUT_BYTES (1u << 20)

/* libbpf's messages of the current load, kept to explain a failed load. */
static char *log_buf;
static size_t log_len, log_cap;

static int keep_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[8192];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	(void)level;
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (log_len + n + 1 > log_cap) {
		log_cap = (log_len + n + 1) * 2;
		log_buf = realloc(log_buf, log_cap);
		if (!log_buf)
			die("out of memory");
	}
	memcpy(log_buf + log_len, line, n);
	log_len += n;
	log_buf[log_len] = 0;
	return 0;
}

static void print_hex(const void *p, size_t n)
{
	const unsigned char *c = p;
	putchar('"');
	for (size_t i = 0; i < n; i++)
		printf("%02x", c[i]);
	putchar('"');
}

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *spec_name(const struct bpf_map *m)
{
	const char *name = bpf_map__name(m);
	const char *dot = strchr(name, '.');
	return bpf_map__is_internal(m) && dot ? dot : name;
}

static struct bpf_map *find_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj)
		if (!strcmp(spec_name(m), name))
			return m;
	die("no map %s in %s", name, job.object);
	return NULL;
}

/* Write a global variable's bytes into its section's initial value, by the datasec layout. */
static void set_global(struct bpf_object *obj, const char *spec, struct bytes val)
{
	struct btf *btf = bpf_object__btf(obj);
	char name[256];
	unsigned extra = 0;
	struct bpf_map *m;
	char *plus;
	snprintf(name, sizeof(name), "%s", spec);
	plus = strchr(name, '+');
	if (plus)
		*plus = 0, extra = strtoul(plus + 1, NULL, 0);
	if (!btf)
		die("%s has no BTF: globals cannot be found by name", job.object);
	bpf_object__for_each_map(m, obj) {
		const struct btf_type *sec;
		const struct btf_var_secinfo *vi;
		if (!bpf_map__is_internal(m) || !bpf_map__btf_value_type_id(m))
			continue;
		sec = btf__type_by_id(btf, bpf_map__btf_value_type_id(m));
		if (!sec || !btf_is_datasec(sec))
			continue;
		vi = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vi++) {
			const struct btf_type *var = btf__type_by_id(btf, vi->type);
			size_t size;
			const void *init;
			unsigned char *copy;
			if (strcmp(btf__name_by_offset(btf, var->name_off), name))
				continue;
			if (extra + val.n > vi->size)
				die("global %s is %u bytes: %zu bytes at +%u do not fit", name, vi->size, val.n, extra);
			init = bpf_map__initial_value(m, &size);
			if (!init)
				die("global %s: its section has no initial value", name);
			copy = malloc(size);
			memcpy(copy, init, size);
			memcpy(copy + vi->offset + extra, val.p, val.n);
			if (bpf_map__set_initial_value(m, copy, size))
				die("global %s: cannot set the initial value of %s", name, bpf_map__name(m));
			free(copy);
			return;
		}
	}
	die("no global variable %s in %s", name, job.object);
}

static bool is_per_cpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Maps whose contents userspace cannot read back, or whose values are per-load ids. */
static bool undumpable(enum bpf_map_type t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
		return false;
	default:
		return true;
	}
}

struct entry {
	unsigned char *key, *value;
};

static size_t sort_key_size;
static int by_key(const void *a, const void *b)
{
	return memcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key, sort_key_size);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void dump_map(struct bpf_map *m, int cpus)
{
	enum bpf_map_type t = bpf_map__type(m);
	int fd = bpf_map__fd(m);
	size_t ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
	size_t stride = is_per_cpu(t) ? ((vs + 7) & ~7ul) : vs;
	size_t vbytes = is_per_cpu(t) ? stride * cpus : vs;
	bool array = t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
	size_t n = 0, cap = 64;
	struct entry *es = malloc(cap * sizeof(*es));
	unsigned char *key = calloc(1, ks), *next = calloc(1, ks);
	bool first = true;

	for (;;) {
		unsigned char *value;
		if (bpf_map_get_next_key(fd, first ? NULL : key, next))
			break;
		first = false;
		memcpy(key, next, ks);
		value = malloc(vbytes);
		if (bpf_map_lookup_elem(fd, key, value) || (array && all_zero(value, vbytes))) {
			free(value);
			continue;
		}
		if (n == cap)
			es = realloc(es, (cap *= 2) * sizeof(*es));
		es[n].key = malloc(ks);
		memcpy(es[n].key, key, ks);
		es[n++].value = value;
	}
	sort_key_size = ks;
	qsort(es, n, sizeof(*es), by_key);
	printf("[");
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"key\":", i ? "," : "");
		print_hex(es[i].key, ks);
		if (is_per_cpu(t)) {
			printf(",\"values\":[");
			for (int c = 0; c < cpus; c++) {
				if (c)
					putchar(',');
				print_hex(es[i].value + c * stride, vs);
			}
			printf("]}");
		} else {
			printf(",\"value\":");
			print_hex(es[i].value, vs);
			putchar('}');
		}
		free(es[i].key);
		free(es[i].value);
	}
	printf("]");
	free(es);
	free(key);
	free(next);
}

static const char *errno_name(int e)
{
	static char buf[16];
	static const struct {
		int e;
		const char *n;
	} names[] = { { EPERM, "EPERM" },   { ENOENT, "ENOENT" }, { E2BIG, "E2BIG" },   { ENOMEM, "ENOMEM" },
		      { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },
		      { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		      { ENOTSUP, "ENOTSUP" }, { ESRCH, "ESRCH" }, { ENXIO, "ENXIO" },
		      { 524, "ENOTSUPP" } };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static bool wanted(const char *name, bool *force)
{
	for (int i = 0; i < job.nload; i++)
		if (!strcmp(job.load[i], name)) {
			*force = *force || job.force_xdp[i];
			return true;
		}
	return false;
}

/* Open and configure the object as the job says; on a load failure print why and return NULL. */
static struct bpf_object *open_and_load(bool *ok)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m;
	int err;
	log_len = 0;
	if (log_buf)
		log_buf[0] = 0;
	obj = bpf_object__open_file(job.object, NULL);
	if (!obj) {
		err = errno;
		printf("{\"loadError\":\"%s\",\"message\":", errno_name(err));
		print_json_string(log_buf ? log_buf : "open failed");
		printf("}");
		*ok = false;
		return NULL;
	}
	bpf_object__for_each_program(p, obj) {
		bool force = false;
		bool on = wanted(bpf_program__name(p), &force);
		bpf_program__set_autoload(p, on);
		if (on && force && bpf_program__set_type(p, BPF_PROG_TYPE_XDP))
			die("cannot set the type of %s", bpf_program__name(p));
	}
	/* LIBBPF_PIN_BY_NAME maps would be pinned (and reused!) under /sys/fs/bpf: never pin. */
	bpf_object__for_each_map(m, obj)
		if (bpf_map__set_pin_path(m, NULL))
			die("cannot clear the pin path of %s", bpf_map__name(m));
	for (int i = 0; i < job.nsize; i++)
		if (bpf_map__set_max_entries(find_map(obj, job.size_map[i]), job.size_n[i]))
			die("cannot size %s", job.size_map[i]);
	for (int i = 0; i < job.nglobal; i++)
		set_global(obj, job.global[i], job.global_val[i]);
	err = bpf_object__load(obj);
	if (err) {
		printf("{\"loadError\":\"%s\",\"message\":", errno_name(-err));
		print_json_string(log_buf ? log_buf : "");
		printf("}");
		bpf_object__close(obj);
		*ok = false;
		return NULL;
	}
	*ok = true;
	return obj;
}

static void apply_updates(struct bpf_object *obj, int cpus)
{
	for (int i = 0; i < job.nupdate; i++) {
		struct update *u = &job.updates[i];
		struct bpf_map *m = find_map(obj, u->map);
		size_t vs = bpf_map__value_size(m);
		unsigned char *value;
		if (u->prog) {
			struct bpf_program *p = bpf_object__find_program_by_name(obj, u->prog);
			int fd = p ? bpf_program__fd(p) : -1;
			if (fd < 0)
				die("slot %s: program %s is not loaded", u->map, u->prog);
			if (bpf_map_update_elem(bpf_map__fd(m), u->key.p, &fd, BPF_ANY))
				die("slot %s: update failed: %s", u->map, strerror(errno));
			continue;
		}
		if (u->fill) {
			for (unsigned k = 0; k < u->count; k++) {
				__u32 key = u->first + k;
				struct bytes *v = &u->values[k % u->nvalues];
				if (bpf_map__key_size(m) != 4 || v->n != vs)
					die("fill %s: needs a u32 key and %zu-byte values", u->map, vs);
				if (bpf_map_update_elem(bpf_map__fd(m), &key, v->p, BPF_ANY))
					die("fill %s[%u] failed: %s", u->map, key, strerror(errno));
			}
			continue;
		}
		if (u->key.n != bpf_map__key_size(m))
			die("update %s: key is %zu bytes, the map's are %u", u->map, u->key.n, bpf_map__key_size(m));
		if (is_per_cpu(bpf_map__type(m))) {
			size_t stride = (vs + 7) & ~7ul;
			value = calloc(cpus, stride);
			for (int c = 0; c < cpus; c++) {
				struct bytes *v = &u->values[c < u->nvalues ? c : u->nvalues - 1];
				memcpy(value + c * stride, v->p, v->n < vs ? v->n : vs);
			}
		} else {
			if (u->values[0].n != vs)
				die("update %s: value is %zu bytes, the map's are %zu", u->map, u->values[0].n, vs);
			value = malloc(vs);
			memcpy(value, u->values[0].p, vs);
		}
		if (bpf_map_update_elem(bpf_map__fd(m), u->key.p, value, BPF_ANY))
			die("update %s failed: %s", u->map, strerror(errno));
		free(value);
	}
}

static bool ignored(const char *name)
{
	for (int i = 0; i < job.nignore; i++)
		if (!strcmp(job.ignore[i], name))
			return true;
	return false;
}

static void run_packet(struct packet *pk, int cpus)
{
	static unsigned char out[OUT_BYTES];
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *m;
	bool ok, first = true;
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pk->data.p, .data_size_in = pk->data.n, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = pk->repeat);

	obj = open_and_load(&ok);
	if (!ok)
		return;
	apply_updates(obj, cpus);
	prog = bpf_object__find_program_by_name(obj, job.run);
	if (!prog)
		die("no program %s in %s", job.run, job.object);
	if (pk->has_ctx) {
		ctx_in.data_meta = 0;
		ctx_in.data = pk->meta;
		ctx_in.data_end = pk->data.n;
		ctx_in.ingress_ifindex = pk->ifindex;
		ctx_in.rx_queue_index = pk->queue;
		opts.ctx_in = &ctx_in;
		opts.ctx_size_in = sizeof(ctx_in);
		opts.ctx_out = &ctx_out;
		opts.ctx_size_out = sizeof(ctx_out);
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		printf("{\"error\":\"%s\"}", errno_name(errno));
		bpf_object__close(obj);
		return;
	}
	printf("{\"retval\":%u,\"dataOut\":", opts.retval);
	print_hex(out, opts.data_size_out);
	if (pk->has_ctx)
		printf(",\"ctxOut\":{\"dataMeta\":%u,\"ingressIfindex\":%u,\"rxQueueIndex\":%u}", ctx_out.data,
		       ctx_out.ingress_ifindex, ctx_out.rx_queue_index);
	printf(",\"maps\":{");
	bpf_object__for_each_map(m, obj) {
		const char *name = spec_name(m);
		if (undumpable(bpf_map__type(m)) || ignored(name))
			continue;
		printf("%s", first ? "" : ",");
		first = false;
		print_json_string(name);
		putchar(':');
		dump_map(m, cpus);
	}
	printf("}}");
	bpf_object__close(obj);
}

/*
 * A network namespace of our own with lo up (helpers see the same devices on every run), and a
 * private mount namespace with an empty bpffs on /sys/fs/bpf, so nothing can reach the host's.
 */
static void private_namespaces(void)
{
	struct ifreq ifr = { 0 };
	int s;
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		die("unshare: %s (run as root)", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("making mounts private: %s", strerror(errno));
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		die("mounting a private bpffs: %s", strerror(errno));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("lo up: %s", strerror(errno));
	close(s);
}

int main(void)
{
	struct utsname u;
	cpu_set_t cpu0;
	int cpus;
	bool ok;
	struct bpf_object *probe;

	read_job();
	libbpf_set_print(keep_log);
	private_namespaces();
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		die("cannot pin to CPU 0: %s", strerror(errno));
	cpus = libbpf_num_possible_cpus();
	uname(&u);
	printf("{\"kernel\":");
	print_json_string(u.release);
	printf(",\"libbpf\":\"%u.%u\",\"possibleCpus\":%d,\"load\":", libbpf_major_version(), libbpf_minor_version(),
	       cpus);
	probe = open_and_load(&ok);
	if (!ok) {
		printf(",\"cases\":[]}\n");
		return 0;
	}
	bpf_object__close(probe);
	printf("{\"ok\":true},\"cases\":[");
	for (int i = 0; i < job.npacket; i++) {
		printf("%s{\"packet\":", i ? "," : "");
		print_json_string(job.packets[i].name);
		printf(",\"result\":");
		run_packet(&job.packets[i], cpus);
		printf("}");
		fflush(stdout);
	}
	printf("]}\n");
	return 0;
}
