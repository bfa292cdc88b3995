// SPDX-License-Identifier: MIT
/*
 * ring_seq_after (pump/ring.h): the sequences the ring publishes are
 * never 0 and never carry out-word tag 0 (a never-written record word
 * would pass the landing check as theirs), and otherwise follow each
 * other by one, across the 18-bit tag's and the 32-bit wrap.
 */
#include <stdio.h>

#include "check.h"
#include "ring.h"

/* walks n publishes from seq; returns the last seq, counts the skips */
static uint32_t walk(uint32_t seq, uint32_t n, uint32_t *skipped)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t next = ring_seq_after(seq);

		CHECK(next != 0 && VYRE_GO_TAG(next) != 0, "seq %u follows %u: tag 0", next, seq);
		if (next != seq + 1) {
			/* only a tag-0 seq (0 among them) is passed over, one at a time */
			CHECK(VYRE_GO_TAG(seq + 1) == 0 && next == seq + 2,
			      "seq %u follows %u: skipped more than tag 0", next, seq);
			(*skipped)++;
		}
		seq = next;
	}
	return seq;
}

int main(void)
{
	uint32_t skipped = 0, seq;

	/* the ring's first 2^22 publishes: 16 tag wraps */
	seq = walk(1, (1u << 22) - 16, &skipped);
	CHECK(seq == (1u << 22) + 1 && skipped == 16, "seq %u after 2^22 - 16 publishes, %u skipped",
	      seq, skipped);
	/* the 32-bit wrap: 0 and 1 << 18 multiples skipped, 1 follows 0xFFFFFFFF */
	skipped = 0;
	seq = walk(0xFFFFFFF0u, 16, &skipped);
	CHECK(seq == 1 && skipped == 1, "seq %u after the wrap, %u skipped", seq, skipped);
	CHECK(ring_seq_after(0xFFFFFFFFu) == 1, "after 0xFFFFFFFF: %u", ring_seq_after(0xFFFFFFFFu));
	CHECK(ring_seq_after(0x3FFFFu) == 0x40001u, "after 0x3FFFF: %u", ring_seq_after(0x3FFFFu));
	printf("ok no published seq is 0 or carries tag 0; 16 skipped in 2^22, the wrap lands on 1\n");
	return 0;
}
