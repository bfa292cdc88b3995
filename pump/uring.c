// SPDX-License-Identifier: MIT
/*
 * uring.c - the pump's io_uring: chunk reads into arena regions and the
 * eventfd read that wakes the pump when a job is submitted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"

#define URING_ASYNC_MIN (256u << 10)

/*
 * Relaunch mode registers each slot's region as fixed buffer <slot>, so a
 * chunk is one READ_FIXED straight into memory the shader reads. BAR
 * memory cannot be registered (platform fact 4, ARCHITECTURE.md): plain READ there.
 */
int uring_open(struct pump *p)
{
	unsigned entries = 1;
	struct iovec *iov;
	int ret;

	while (entries < 2 * p->cfg.slots + 2)
		entries <<= 1;
	ret = io_uring_queue_init(entries, &p->uring, 0);
	if (ret < 0) {
		vlog_err("io_uring: setup failed (%d); is io_uring disabled "
			 "(sysctl kernel.io_uring_disabled)?",
			 ret);
		return ret;
	}
	p->uring_ready = true;
	if (!p->arena.host)
		return 0;
	iov = calloc(p->arena.nregions, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->arena.nregions; i++) {
		iov[i].iov_base = arena_region(&p->arena, i);
		iov[i].iov_len = p->arena.region;
	}
	ret = io_uring_register_buffers(&p->uring, iov, p->arena.nregions);
	free(iov);
	if (ret < 0) {
		vlog_err("io_uring: registering the %zu MiB arena failed (%d); a non-root "
			 "daemon needs RLIMIT_MEMLOCK raised (ulimit -l)",
			 (p->arena.region * p->arena.nregions) >> 20, ret);
		return ret;
	}
	p->registered = true;
	return 0;
}

void uring_close(struct pump *p)
{
	if (!p->uring_ready)
		return;
	if (p->registered)
		io_uring_unregister_buffers(&p->uring);
	io_uring_queue_exit(&p->uring);
	p->uring_ready = false;
	p->registered = false;
}

static struct io_uring_sqe *uring_sqe(struct pump *p)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->uring);

	if (!sqe) {
		io_uring_submit(&p->uring);
		p->pending_sqes = 0;
		sqe = io_uring_get_sqe(&p->uring);
	}
	return sqe;
}

/* Queues a read of the rest of the slot's chunk (all of it, or after a short read). */
int uring_read(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct io_uring_sqe *sqe = uring_sqe(p);
	uint8_t *dst = arena_region(&p->arena, slot) + s->got;
	uint32_t len = s->want - s->got;
	uint64_t off = s->file_off + s->got;

	if (!sqe)
		return -EBUSY;
	if (p->registered)
		io_uring_prep_read_fixed(sqe, j->fd, dst, len, off, (int)slot);
	else
		io_uring_prep_read(sqe, j->fd, dst, len, off);
	/*
	 * io-wq workers copy big buffered reads in parallel (platform fact
	 * 5, ARCHITECTURE.md). A small read is copied inline: punting a 4 KiB read to io-wq cost
	 * ~225 us of a job's ~460 us on the H100 (taken_us -> read_us).
	 */
	if ((p->async && !j->direct && len >= URING_ASYNC_MIN) || j->reads_block)
		sqe->flags |= IOSQE_ASYNC; /* reads_block: never inline (uring_reads_block) */
	io_uring_sqe_set_data64(sqe, uring_tag(slot, 0));
	p->pending_sqes++;
	return 0;
}

/*
 * A file without non-blocking reads (FUSE, virtiofs, 9p: RWF_NOWAIT fails
 * EOPNOTSUPP) is read only by io-wq workers (IOSQE_ASYNC): on kernel 6.18
 * io_uring_submit issued a FUSE direct_io read inline and blocked the pump
 * thread until the filesystem answered (3 s for 16 reads of a hangfs file;
 * forever for one that never answers). A job's file is asked once at admit
 * (admit.c); a packed job's files may lie on several filesystems, so each
 * is asked (pack.c). A one-byte RWF_NOWAIT read never blocks: it fails, or
 * copies a cached byte.
 */
bool uring_reads_block(int fd)
{
	char c;
	struct iovec iov = {&c, 1};

	return preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP;
}

/*
 * A packed chunk's file: len bytes at file_off into the slot's region at
 * region_off. blocks: fd's reads block (to io-wq); nowait: the read asks
 * that itself, as uring_reads_block's probe does, with RWF_NOWAIT: it
 * fails EOPNOTSUPP (before the filesystem is called) where reads block,
 * EAGAIN where the bytes are not cached, and reads them where they are.
 */
int uring_read_at(struct pump *p, uint32_t slot, int fd, uint32_t region_off, uint32_t len,
		  uint64_t file_off, uint64_t tag, bool blocks, bool nowait)
{
	struct io_uring_sqe *sqe = uring_sqe(p);
	uint8_t *dst = arena_region(&p->arena, slot) + region_off;

	if (!sqe)
		return -EBUSY;
	if (p->registered)
		io_uring_prep_read_fixed(sqe, fd, dst, len, file_off, (int)slot);
	else
		io_uring_prep_read(sqe, fd, dst, len, file_off);
	if (blocks)
		sqe->flags |= IOSQE_ASYNC;
	if (nowait)
		sqe->rw_flags = RWF_NOWAIT;
	io_uring_sqe_set_data64(sqe, tag);
	p->pending_sqes++;
	return 0;
}

/*
 * A read the file cache answered (read.c, pump_op_read): a NOP tagged as
 * the slot's read, so its completion reaches the op from the reaper as any
 * read's does, never from inside the op's own call.
 */
int uring_nop(struct pump *p, uint32_t slot)
{
	struct io_uring_sqe *sqe = uring_sqe(p);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, uring_tag(slot, 0));
	p->pending_sqes++;
	return 0;
}

int uring_arm_wakeup(struct pump *p)
{
	struct io_uring_sqe *sqe = uring_sqe(p);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, p->efd, &p->efd_buf, sizeof(p->efd_buf), 0);
	io_uring_sqe_set_data64(sqe, URING_WAKEUP_TAG);
	p->pending_sqes++;
	return 0;
}

/*
 * A job's files are closed by IORING_OP_CLOSE, on io-wq (async), so no
 * close is a system call of the pump thread's.
 *
 * A file whose reads block (FUSE, virtiofs): close() sends the filesystem
 * a FLUSH, and a source whose threads all sit in hung reads answers it
 * only when they return, so a close on the pump thread stopped the unit
 * for every user until then (issue 21 item 3: root's job waited out
 * hangfs's 30 s). The worker waits out the FLUSH instead.
 *
 * Any other file: a close() was 2.5 us of the pump thread's 14.7 a file
 * of a 100,000-file tree (BENCHMARKS.md "The walk", row B); on io-wq it
 * leaves the thread (rows C and D there).
 *
 * Each close is counted out until its CQE is in (pump_reap): a close
 * still queued when the ring is torn down is cancelled and its fd never
 * closed, so the thread drains them before it goes (unit.c).
 */
/*
 * A packed file's end stat (pack.c pack_end_stats): its size, mtime and
 * links, as fstat gave them, on the fd that was read. The kernel runs
 * every STATX on io-wq, never on the pump thread, and writes stx until
 * the CQE is in (counted out in stats_out, drained as closes are).
 */
int uring_statx(struct pump *p, int fd, struct statx *stx, uint64_t tag)
{
	struct io_uring_sqe *sqe = uring_sqe(p);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_statx(sqe, fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
			    STATX_SIZE | STATX_MTIME | STATX_NLINK, stx);
	io_uring_sqe_set_data64(sqe, tag);
	p->pending_sqes++;
	p->stats_out++;
	return 0;
}

int uring_close_fd(struct pump *p, int fd)
{
	struct io_uring_sqe *sqe = uring_sqe(p);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_close(sqe, fd);
	sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data64(sqe, URING_CLOSE_TAG);
	p->pending_sqes++;
	p->closes_out++;
	return 0;
}
