/*
 * The kernel side of the device oracle (device-oracle.ts), for what bpftool 7.1 cannot do:
 *
 *   netdev-tool load OBJ PINDIR IFINDEX   load every program of OBJ bound to the device
 *                                          (prog_ifindex + BPF_F_XDP_DEV_BOUND_ONLY) and pin the
 *                                          programs as PINDIR/<prog> and the maps as
 *                                          PINDIR/map_<name> (a '.' in a name becomes '_')
 *   netdev-tool send IFACE HEX            send one frame out of IFACE through a packet socket
 *
 * Built by the test with clang and libbpf; run as root inside a private mount + network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define XDP_DEV_BOUND_ONLY (1U << 6)

static int pin_path(char *out, size_t size, const char *dir, const char *prefix, const char *name)
{
	int n = snprintf(out, size, "%s/%s%s", dir, prefix, name);
	char *c;

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	for (c = out + strlen(dir) + 1; *c; c++)
		if (*c == '.')
			*c = '_';
	return 0;
}

static int load(const char *path, const char *dir, int ifindex)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *map;
	char pin[4096];
	int err;

	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		bpf_program__set_ifindex(prog, ifindex);
		bpf_program__set_flags(prog, bpf_program__flags(prog) | XDP_DEV_BOUND_ONLY);
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load failed: %s\n", strerror(-err));
		return 2;
	}
	bpf_object__for_each_program(prog, obj) {
		if (pin_path(pin, sizeof(pin), dir, "", bpf_program__name(prog)) || bpf_program__pin(prog, pin)) {
			fprintf(stderr, "cannot pin program %s\n", bpf_program__name(prog));
			return 3;
		}
	}
	bpf_object__for_each_map(map, obj) {
		if (pin_path(pin, sizeof(pin), dir, "map_", bpf_map__name(map)) || bpf_map__pin(map, pin)) {
			fprintf(stderr, "cannot pin map %s\n", bpf_map__name(map));
			return 4;
		}
	}
	return 0;
}

static int send_frame(const char *iface, const char *hex)
{
	size_t len = strlen(hex) / 2, i;
	unsigned char *frame = malloc(len ? len : 1);
	struct sockaddr_ll to = { .sll_family = AF_PACKET };
	int fd;

	if (!frame || strlen(hex) % 2)
		return 1;
	for (i = 0; i < len; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return 1;
		frame[i] = byte;
	}
	to.sll_ifindex = if_nametoindex(iface);
	to.sll_halen = 6;
	memcpy(to.sll_addr, frame, 6);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || !to.sll_ifindex) {
		fprintf(stderr, "no packet socket on %s: %s\n", iface, strerror(errno));
		return 2;
	}
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
		fprintf(stderr, "send on %s failed: %s\n", iface, strerror(errno));
		return 3;
	}
	close(fd);
	free(frame);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "send"))
		return send_frame(argv[2], argv[3]);
	fprintf(stderr, "usage: %s load OBJ PINDIR IFINDEX | send IFACE HEX\n", argv[0]);
	return 64;
}
