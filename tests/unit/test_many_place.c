// SPDX-License-Identifier: MIT
/*
 * A user's places in flight are shared fairly between its tree jobs
 * (fs/many_place.c; issue 23, "first line"). Before, a tree job submitted
 * beside a running tree job of the same user got a place only when its
 * 5 ms look came between one of the first job's flights ending and that
 * job's walker (woken by the end) taking the place back: on an idle
 * machine, not until the first job's walk was over. The rule, checked
 * here case by case against what many_place_busy answers:
 *   - a job's own cap (FS_MANY_INFLIGHT) and its user's (FS_USER_INFLIGHT)
 *     always hold;
 *   - alone, or with no other job of the user waiting, a job may take
 *     every place;
 *   - while another waits, a job flying at least FS_USER_INFLIGHT / (the
 *     user's walking jobs) places leaves freed ones to the others; places
 *     it reserved and has not opened yet (pending) never count, so a
 *     walker never waits on its own batch.
 */
#include <stdio.h>
#include <stdlib.h>

#include "many.h"
#include "check.h"

static struct fs_user user;
static struct fs_job ja, jb;
static struct fs_many a, b;

static void set(unsigned a_in, unsigned a_pend, unsigned b_in, unsigned walking)
{
	a.inflight = a_in;
	a.pending = a_pend;
	b.inflight = b_in;
	b.pending = 0;
	atomic_store(&user.files_inflight, a_in + b_in);
	atomic_store(&user.many_walking, walking);
}

int main(void)
{
	ja.user = jb.user = &user;
	a.j = &ja;
	b.j = &jb;

	/* alone: every place, then the caps */
	set(FS_USER_INFLIGHT - 1, 0, 0, 1);
	CHECK(!many_place_busy(&a), "a job alone must take its user's last place");
	set(FS_USER_INFLIGHT, 0, 0, 1);
	CHECK(many_place_busy(&a), "the user's cap must hold");

	/* two walking, nobody waiting: no share applies */
	set(900, 0, 0, 2);
	CHECK(!many_place_busy(&a), "with no other job waiting, a job may pass its share");

	/* B waits: A at or past its share (512) leaves places to B; B takes them */
	set(900, 0, 0, 2);
	many_place_waiting(&b, true);
	CHECK(atomic_load(&user.many_waiting) == 1, "B counts as waiting");
	CHECK(many_place_busy(&a), "A flying 900 of 1024 must leave a freed place to waiting B");
	CHECK(!many_place_busy(&b), "B, waiting with no place, must take one");
	set(FS_USER_INFLIGHT / 2, 0, 10, 2);
	CHECK(many_place_busy(&a), "A at its share (512) must wait while B waits");
	set(FS_USER_INFLIGHT / 2 - 1, 0, 10, 2);
	CHECK(!many_place_busy(&a), "A under its share may take a place");

	/* the user's cap holds for B too */
	set(FS_USER_INFLIGHT, 0, 0, 2);
	CHECK(many_place_busy(&b), "B must wait while the user's places are all held");

	/* A's own waiting does not count as another's */
	many_place_waiting(&b, false);
	many_place_waiting(&a, true);
	set(900, 0, 0, 2);
	CHECK(!many_place_busy(&a), "A waiting alone must not wait for itself");
	many_place_waiting(&a, false);
	CHECK(atomic_load(&user.many_waiting) == 0, "waiting counts must come back to 0");

	/* a walker's own batch (pending) never holds it back */
	many_place_waiting(&b, true);
	set(900, 900, 0, 2);
	CHECK(!many_place_busy(&a), "places A reserved and has not opened must not count");
	set(900, 400, 0, 2);
	CHECK(!many_place_busy(&a), "A flying 500 (400 pending) is under its share of 512");
	set(900, 300, 0, 2);
	CHECK(many_place_busy(&a), "A flying 600 (300 pending) is past its share of 512");
	many_place_waiting(&b, false);

	/* many walking: the share is at least one place */
	many_place_waiting(&b, true);
	set(1, 0, 0, 2 * FS_USER_INFLIGHT);
	CHECK(many_place_busy(&a), "a share below one place is one place");
	set(0, 0, 0, 2 * FS_USER_INFLIGHT);
	CHECK(!many_place_busy(&a), "a job flying nothing may always take a place");
	many_place_waiting(&b, false);

	/* the walking count follows many_place_walk */
	atomic_store(&user.many_walking, 0);
	many_place_walk(&a, true);
	many_place_walk(&b, true);
	CHECK(atomic_load(&user.many_walking) == 2, "two walks counted");
	many_place_walk(&a, false);
	many_place_walk(&b, false);
	CHECK(atomic_load(&user.many_walking) == 0, "walks uncounted");
	printf("ok\n");
	return 0;
}
