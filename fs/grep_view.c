// SPDX-License-Identifier: MIT
/*
 * grep_view.c - the pump's views (struct pump_dfa, struct pump_ac) of a
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
