// SPDX-License-Identifier: MIT
/*
 * setuid_close - the shape of a setuid-root program that closes the
 * descriptors it inherited while it runs with euid 0 (hardening2.bats
 * installs a copy setuid root). A FLUSH of vyrefs' ctl from it carries
 * root's credentials: the line the unprivileged parent left open in the
 * descriptor must not be submitted as root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = argc > 1 ? atoi(argv[1]) : 3;

	if (geteuid() != 0) {
		fprintf(stderr, "setuid_close: not running as euid 0 (install it setuid root)\n");
		return 77;
	}
	if (close(fd) < 0)
		perror("setuid_close: close");
	return 0;
}
