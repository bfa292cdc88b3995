// SPDX-License-Identifier: MIT
/*
 * grep_view.c - the pump's views (struct pump_dfa, pump_ac, pump_shift) of a
 * compiled grep (struct fs_grep, fs/grep.c). They point into the struct,
 * so whoever moves it re-points them: grep.c after compiling, many.c
 * after taking the submitter's copy. Below both, so neither calls up.
 */
#include "fs.h"

/* The pump's view of what fs_grep_compile built, pointing into g. */
void fs_grep_views(struct fs_grep *g)
{
	const struct regex_ac *a = &g->prog.ac;
	const struct regex_accsets *k = &g->prog.sets;

	if (!g->ready)
		return;
	if (g->shift) {
		const struct regex_shift *s = &g->prog.shift;

		g->shview = (struct pump_shift){
		    .npos = s->npos,
		    .nwords = s->nwords,
		    .nclasses = s->nclasses,
		    .ndist = s->ndist,
		    .npatterns = s->npatterns,
		    .nexc = s->nexc,
		    .classes = s->classes,
		    .byclass = s->byclass,
		    .dist = s->dist,
		    .mask = s->mask,
		    .first = s->first,
		    .first_bol = s->first_bol,
		    .last = s->last,
		    .last_eol = s->last_eol,
		    .exc_src = s->exc_src,
		    .exc_off = s->exc_off,
		    .exc_to = s->exc_to,
		    .owner = s->owner,
		    .flags = s->flags,
		};
		return;
	}
	if (g->ac) {
		g->acview = (struct pump_ac){
		    .npatterns = g->prog.npatterns,
		    .nstates = a->nstates,
		    .nclasses = a->nclasses,
		    .ndense = a->ndense,
		    .classes = a->classes,
		    .dense = a->dense,
		    .child = a->child,
		    .label = a->label,
		    .fail = a->fail,
		    .acc = a->acc,
		    .eol = a->eol,
		    .dfa = g->prog.sets_dfa,
		    .nsets = k->n,
		    .setoff = k->off,
		    .ids = k->ids,
		    .parent = k->parent,
		    .first = k->first,
		};
		return;
	}
	g->view = (struct pump_dfa){
	    .nstates = g->dfa.nstates,
	    .nclasses = g->dfa.nclasses,
	    .start = g->dfa.start,
	    .classes = g->dfa.classes,
	    .next = g->dfa.next,
	    .accept = g->dfa.accept,
	    .sink = g->dfa.sink,
	};
}
