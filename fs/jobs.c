// SPDX-License-Identifier: MIT
/*
 * jobs.c - the job table: ids to jobs, sorted by id. Finished jobs beyond
 * the cap are reaped oldest first, so memory stays bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

bool fs_job_finished(struct fs_job *j)
{
	struct pump_job_info info;

	pump_job_info(j->pj, &info);
	return info.state != PUMP_JOB_QUEUED && info.state != PUMP_JOB_RUNNING;
}

void fs_job_put(struct fs_job **jp)
{
	struct fs_job *j = *jp;

	if (!j)
		return;
	*jp = NULL;
	if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1)
		return;
	pump_job_put(&j->pj);
	free(j->path);
	free(j->descriptor);
	free(j);
}

static void fs_jobs_reap(struct fs *fs)
{
	size_t finished = 0;

	for (size_t i = 0; i < fs->njobs; i++)
		finished += fs_job_finished(fs->jobs[i]);
	for (size_t i = 0; i < fs->njobs && finished > fs->opts.jobs_cap;) {
		if (!fs_job_finished(fs->jobs[i])) {
			i++;
			continue;
		}
		fs_job_put(&fs->jobs[i]);
		memmove(&fs->jobs[i], &fs->jobs[i + 1], (fs->njobs - i - 1) * sizeof(fs->jobs[0]));
		fs->njobs--;
		finished--;
	}
}

int fs_jobs_add(struct fs *fs, struct fs_job *j)
{
	pthread_mutex_lock(&fs->lock);
	fs_jobs_reap(fs);
	if (fs->njobs == fs->jobs_alloc) {
		size_t n = fs->jobs_alloc ? 2 * fs->jobs_alloc : 64;
		struct fs_job **t = realloc(fs->jobs, n * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&fs->lock);
			return -ENOMEM;
		}
		fs->jobs = t;
		fs->jobs_alloc = n;
	}
	j->id = ++fs->next_id;
	fs->jobs[fs->njobs++] = j;
	fs->jobs_submitted++;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static ssize_t fs_job_index(struct fs *fs, uint64_t id)
{
	size_t lo = 0, hi = fs->njobs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (fs->jobs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fs->njobs && fs->jobs[lo]->id == id ? (ssize_t)lo : -1;
}

struct fs_job *fs_job_lookup(struct fs *fs, uint64_t id)
{
	struct fs_job *j = NULL;
	ssize_t i;

	pthread_mutex_lock(&fs->lock);
	i = fs_job_index(fs, id);
	if (i >= 0) {
		j = fs->jobs[i];
		atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&fs->lock);
	return j;
}

struct fs_job *fs_job_latest(struct fs *fs, uid_t uid)
{
	struct fs_job *j = NULL;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = fs->njobs; i-- > 0;) {
		if (fs->jobs[i]->uid == uid) {
			j = fs->jobs[i];
			atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
			break;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return j;
}

int fs_job_remove(struct fs *fs, uint64_t id)
{
	struct fs_job *j;
	ssize_t i;

	pthread_mutex_lock(&fs->lock);
	i = fs_job_index(fs, id);
	if (i < 0) {
		pthread_mutex_unlock(&fs->lock);
		return -ENOENT;
	}
	j = fs->jobs[i];
	if (!fs_job_finished(j)) {
		pthread_mutex_unlock(&fs->lock);
		return -EBUSY;
	}
	memmove(&fs->jobs[i], &fs->jobs[i + 1], (fs->njobs - (size_t)i - 1) * sizeof(j));
	fs->njobs--;
	pthread_mutex_unlock(&fs->lock);
	fs_job_put(&j);
	return 0;
}

size_t fs_job_ids(struct fs *fs, uint64_t *ids, size_t max)
{
	size_t n;

	pthread_mutex_lock(&fs->lock);
	n = fs->njobs;
	for (size_t i = 0; i < n && i < max; i++)
		ids[i] = fs->jobs[i]->id;
	pthread_mutex_unlock(&fs->lock);
	return n;
}
