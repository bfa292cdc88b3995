/* SPDX-License-Identifier: MIT */
/*
 * The ring's wire layout, defined once for C and GLSL.
 *
 * glslang defines VULKAN when it compiles a shader, so this one file gives
 * the C host and the megakernel the same numbers. The numbers that
 * vyre-runtime also uses (slot states, the 16-word slot, the built-in
 * opcodes 0-7 and the system ones) are kept wire-compatible with it. The
 * scan ops' numbers are in the op table, vyre_ops.h.
 */
#ifndef VYRE_ABI_H
#define VYRE_ABI_H

#include "vyre_ops.h"

#ifndef VULKAN
#include <stdint.h>
#define VYRE_U(x) ((uint32_t)(x##u))
#else
/* glslang's preprocessor will not paste onto a number: convert instead. */
#define VYRE_U(x) uint(x)
#endif

/* Slot status, word 0 of a slot (vyre-runtime's numbers). */
#define VYRE_SLOT_EMPTY     VYRE_U(0)
#define VYRE_SLOT_PUBLISHED VYRE_U(1)
#define VYRE_SLOT_CLAIMED   VYRE_U(2)
#define VYRE_SLOT_DONE      VYRE_U(3)
#define VYRE_SLOT_WAIT_IO   VYRE_U(4) /* reserved */
#define VYRE_SLOT_YIELD     VYRE_U(5) /* reserved */
#define VYRE_SLOT_REQUEUE   VYRE_U(6) /* reserved */
#define VYRE_SLOT_FAULT     VYRE_U(7)

/*
 * Opcodes outside the op table: 0..7 built in (NOP = 0 is a table row),
 * 0x100.. vyrefs scan ops (vyre_ops.h), high bit system.
 */
#define VYRE_OP_DFA_STEP    VYRE_U(6) /* reserved: vyre-runtime's number; grep is 0x104 */
#define VYRE_OP_BATCH_FENCE VYRE_U(7)
#define VYRE_OP_PACKED_SLOT VYRE_U(0x80000001)
#define VYRE_OP_SHUTDOWN    VYRE_U(0xFFFFFFFF)

/* Error codes a faulted slot carries in its completion record. */
#define VYRE_ERR_NONE       VYRE_U(0)
#define VYRE_ERR_UNKNOWN_OP VYRE_U(1)
#define VYRE_ERR_MASKED     VYRE_U(2) /* tenant masked: the job was cancelled */
#define VYRE_ERR_BAD_SLOT   VYRE_U(3) /* chunk or argument out of range */

/*
 * A slot's host-written part: 16 32-bit words (64 bytes). Words 0-3 are
 * vyre-runtime's status, opcode, tenant, priority; 4-15 are arguments.
 */
#define VYRE_SLOT_WORDS    16
#define VYRE_W_STATUS      0
#define VYRE_W_OPCODE      1
#define VYRE_W_TENANT      2
#define VYRE_W_PRIORITY    3 /* unused by the kernel: VYRE_W_TEE's word */
#define VYRE_W_ARG0        4 /* count: byte; match: pattern length; fence: batch */
#define VYRE_W_ARG1        5 /* fence: slots in batch */
#define VYRE_W_ARG2        6 /* ops with job data: the region's byte offset in the pool */
#define VYRE_W_SEQ         7  /* publish sequence, echoed in the done word */
#define VYRE_W_DATA_LO     8  /* chunk's byte offset in the arena */
#define VYRE_W_DATA_HI     9
#define VYRE_W_DATA_LEN    10 /* bytes of the chunk proper */
#define VYRE_W_TAIL_LEN    11 /* readable bytes past DATA_LEN (match's tail window) */
#define VYRE_W_TILES       12 /* bits 0-23: tiles; bits 24-31: log2 of tile bytes */
#define VYRE_W_BATCH       13 /* fence batch this slot counts toward, or VYRE_NO_BATCH */
#define VYRE_W_CLAIM       14 /* (seq & 0xffff) << 16 | next tile; claimed by CAS */
#define VYRE_W_JOB_DATA_LEN 15 /* bytes of the job's data region (0: none) */
#define VYRE_W_JOB_DATA    VYRE_W_ARG2
/*
 * The file cache (pump/cache.c, -o cache=SIZE). VYRE_W_TEE, 0 or a cache
 * slot's byte offset / VYRE_TEE_UNIT + 1: each tile of a chunk that ran
 * without a fault copies its bytes (the last tile the tail window too)
 * into that cache slot, so the next scan of the file reads them from
 * device memory. VYRE_DATA_CACHED in W_DATA_HI: the chunk's offset is a
 * cache offset, not the arena's.
 *
 * A cache offset names a block and a byte in it: the cache is up to
 * VYRE_CACHE_BLOCKS_MAX device buffers (so it can give memory back one
 * block at a time, pump/cache_block.c); block b holds the offsets from
 * b << pc.cache_shift, and its device address is the control words
 * VYRE_CI_CACHE_BLOCK + 2b (low, high). The host writes a block's address
 * before it publishes a slot that names it, and zeroes it once no slot
 * out can name it, before the block's memory is freed.
 */
#define VYRE_W_TEE         VYRE_W_PRIORITY
#define VYRE_TEE_UNIT      4096
#define VYRE_DATA_CACHED   VYRE_U(0x80000000)
#define VYRE_CACHE_BLOCKS_MAX 64

#define VYRE_NO_BATCH      VYRE_U(0xFFFFFFFF)

/*
 * A packed slot (vyre-runtime's PACKED_SLOT idea): several small files'
 * bytes in one slot. Its W_TILES shift byte is VYRE_TILE_PACKED and
 * W_TAIL_LEN is the byte offset (16-aligned, from the chunk's first byte)
 * of a table of (start, end) pairs, one per file, padded with (0, 0) to a
 * multiple of VYRE_PACK_FILES_PER_TILE. Tile t runs the op over files
 * t * VYRE_PACK_FILES_PER_TILE and on, one after another, each alone (its
 * end is the op's len: nothing of the next file is readable, so no match
 * spans two files), and writes each file's count to word i of the slot's
 * op output (VYRE_GO_WORDS, as grep's) besides the slot's sum. Several
 * files to a workgroup: with one file each, 100,000 files of 4 KiB took
 * 0.27 ms of lavapipe CPU a file (a workgroup's barriers and slot scan),
 * with 16 each 2.3x fewer (BENCHMARKS.md "Trees").
 */
#define VYRE_TILE_PACKED          VYRE_U(0)
#define VYRE_PACK_FILES_MAX       256
#define VYRE_PACK_FILES_PER_TILE  16
/*
 * A packed file's bytes may lie in the file cache instead (pump/cache.c):
 * VYRE_PACK_WHERE_OFF bytes into the table, one word per file (padded as
 * the pairs are): 0, the file is in this slot, (start, end) as above;
 * else a cache slot's byte offset / VYRE_TEE_UNIT + 1, and (start, end)
 * are the file's bytes in that cache slot. A packed slot's VYRE_W_TEE
 * names the cache slot each file that is in this slot is copied into, at
 * the same (start, end).
 */
#define VYRE_PACK_WHERE_OFF       (VYRE_PACK_FILES_MAX * 8)
#define VYRE_PACK_TABLE_BYTES     (VYRE_PACK_FILES_MAX * 12)
/*
 * grep packs too (shaders/ops/grep.glsl, grep_packed): each file's word is
 * its count of selected lines, the DFA restarted at the file's first byte
 * and its last line ended by its last byte. A line that a lane's budget
 * (one for the whole tile: lavapipe's loop cap is per invocation) does not
 * finish sets VYRE_PACK_OVER in its file's word: the host scans that file
 * again alone, unpacked (pump/ops/grep.c). A file's count is below 2^17.
 */
#define VYRE_PACK_OVER            VYRE_U(0x80000000)
/*
 * A packed grep with per_pattern=1 (VYRE_GREP_F_PSET) keeps records too:
 * file i of the slot owns records [i * per, (i + 1) * per) of the slot's
 * (VYRE_REC_*), per = the slot's record count / (its tiles *
 * VYRE_PACK_FILES_PER_TILE): a slot of fewer files gives each more. Its
 * first is a count record
 * {n, 0}: n set records follow it, each {a line's start in the file,
 * VYRE_REC_SET + set} as unpacked slots write them. A file whose records
 * pass per - 1 is VYRE_PACK_OVER (its records are not read). Each record
 * carries the slot's tag as every record does.
 */
#define VYRE_TILES_MASK    VYRE_U(0x00FFFFFF)
#define VYRE_TILE_SHIFT_POS 24
#define VYRE_CLAIM_GEN(seq) (((seq) & VYRE_U(0xFFFF)) << 16)
#define VYRE_CLAIM_TILE_MASK VYRE_U(0xFFFF)

/*
 * Host-written control words, after the slots in the same buffer (so they
 * share the slots' placement: BAR when a persistent kernel polls them).
 */
#define VYRE_CTRL_IN_WORDS   288
#define VYRE_CI_STOP         0  /* nonzero: every workgroup exits at its next check */
#define VYRE_CI_IDLE_BUDGET  1  /* empty polls a persistent workgroup makes before exiting */
#define VYRE_CI_LAUNCH       2  /* launch number, echoed in the heartbeat block */
#define VYRE_CI_TENANT_MASK  16 /* 128 words: bit t set = tenant t's slots fault */
#define VYRE_TENANT_BITS     4096
#define VYRE_CI_CACHE_BLOCK  160 /* 128 words: each file cache block's device address, low, high */
/*
 * Then one word per slot: the launch it was published under. In relaunch
 * mode a workgroup of launch L (VYRE_CI_LAUNCH) runs a slot only if that
 * word is before L (mod 2^32): a relaunched kernel reads chunk and job data
 * plainly, through caches only a new launch invalidates, so a region
 * refilled while a launch runs waits for the next one (ring.c,
 * ring_publish). A fence reads no such data: the host stamps it L - 1.
 */
#define VYRE_CI_SLOT_LAUNCH  VYRE_CTRL_IN_WORDS

/*
 * GPU-written completion record, one per slot, in host-coherent system
 * memory: the fastest place for the host to poll (ARCHITECTURE.md,
 * "Platform facts", fact 2).
 */
#define VYRE_DONE_WORDS      8
#define VYRE_D_DONE          0 /* = the slot's SEQ once complete (release) */
#define VYRE_D_STATUS        1 /* VYRE_SLOT_DONE or VYRE_SLOT_FAULT */
#define VYRE_D_ERROR         2
#define VYRE_D_EPOCH         3 /* fences: the epoch this fence produced */
#define VYRE_D_RESULT        4 /* 32-bit result: count, matches, nop = 1 */
#define VYRE_D_OP            5 /* 3 words: the op's counters (VYRE_S_OP), as the last tile left them */
#define VYRE_OP_WORDS        3

#define VYRE_HIST_BINS       256
/*
 * A slot's bins in the completion buffer: bin b at words 2b (its count)
 * and 2b + 1 (the slot's publish sequence), one 8-byte store, as a packed
 * slot's per-file counts are (words 2i, 2i + 1 of its op output). The host
 * takes a value only once its sequence is the slot's (ring_done_bins,
 * ring_done_packed): on the H100 the finishing lane's own stores reached
 * host memory after its done word (issue 20: bins and packed counts off
 * by a few in 0.4% of soak jobs).
 */
#define VYRE_HIST_WORDS      (2 * VYRE_HIST_BINS)

/* GPU-written status block at the start of the completion buffer. */
#define VYRE_GS_WORDS        16
#define VYRE_GS_HEARTBEAT    0
#define VYRE_GS_LAUNCH       1

/* GPU-private words (device memory): counters, batches, per-slot scratch. */
#define VYRE_DEV_EPOCH       0
#define VYRE_DEV_DONE_COUNT  1
#define VYRE_DEV_OP_COUNT    8  /* VYRE_OPCLASSES words: executions per opcode class */
#define VYRE_DEV_BATCHES     32 /* VYRE_MAX_BATCHES words of per-batch done counts */
#define VYRE_MAX_BATCHES     4096
#define VYRE_DEV_SCRATCH     (VYRE_DEV_BATCHES + VYRE_MAX_BATCHES)
#define VYRE_SCRATCH_WORDS   264 /* per slot: acc, tiles done, fault, pad, 256 bins */
#define VYRE_S_ACC           0
#define VYRE_S_TILES_DONE    1
#define VYRE_S_FAULT         2
#define VYRE_S_OP            3 /* VYRE_S_OP_WORDS: an op's own counters, zero when the slot starts */
#define VYRE_S_OP_WORDS      4 /* the first VYRE_OP_WORDS go to the done record */
#define VYRE_S_HIST          8

/*
 * Job data (host-written): one pool per pump, placed like the slots (BAR
 * when the kernel is persistent), holding each job's data region: match's
 * pattern, grep's DFA. A slot names its job's region by byte offset
 * (VYRE_W_JOB_DATA) and length (VYRE_W_JOB_DATA_LEN).
 */
#define VYRE_DATA_POOL_BYTES (32u << 20)
#define VYRE_JOB_DATA_MAX    (16u << 20)
#define VYRE_DATA_ALIGN      256u
#define VYRE_PATTERN_MAX     256 /* match's pattern: a small data region */

/*
 * grep (op 0x104). Argument words: arg0 = resume position (a chunk pass:
 * lines starting before it are skipped) or the entry DFA state (a
 * continuation); arg1 = VYRE_GREP_F_* flags, log2 of a lane's loop budget
 * in bits 8-15 and, for a continuation, its first byte in bits 16-31.
 */
#define VYRE_GREP_F_FIRST    VYRE_U(1)  /* chunk offset 0 starts a line (first chunk of the scan) */
#define VYRE_GREP_F_EOF      VYRE_U(2)  /* the data ends at len + tail: a last line without '\n' ends there */
#define VYRE_GREP_F_CONT     VYRE_U(4)  /* a continuation of one open line */
#define VYRE_GREP_F_INVERT   VYRE_U(8)  /* select lines that do not match */
#define VYRE_GREP_F_LINES    VYRE_U(16) /* record each selected line */
#define VYRE_GREP_F_PSET     VYRE_U(32) /* per_pattern=1: record the accept sets each line enters */
#define VYRE_GREP_F_COOP     VYRE_U(64) /* bit-parallel: costly lines to continuations on every lane */
#define VYRE_GREP_BUDGET_POS 8
#define VYRE_GREP_START_POS  16
#define VYRE_GREP_MAX_TILES  256

/* grep's DFA in its job data region, in 32-bit words. */
#define VYRE_DFA_NSTATES     0
#define VYRE_DFA_NCLASSES    1
#define VYRE_DFA_START       2
#define VYRE_DFA_CLASSES     4  /* 64 words: byte -> class, 4 per word */
#define VYRE_DFA_HDR_WORDS   68 /* then accept bits, sink bits (nstates/32 words each), next */
#define VYRE_GREP_SHARED_WORDS 4096 /* a DFA this small is read from shared memory */

/*
 * A pattern set on Aho-Corasick (issue 26; ARCHITECTURE.md "Pattern
 * sets"), in its job data region, in 32-bit words: a header, the byte
 * classes 4 a word, then each table at the word offset its header word
 * names. dense[ndense * nclasses] (failures resolved), child[nstates + 1]
 * (state s's trie children are child[s]..child[s+1]-1), label[nstates]
 * 4 a word (the class on the edge into a state, ascending within a
 * range), fail[nstates], acc[nstates] (an accept set, 0: none), and the
 * sets: setoff[nsets + 1], ids[setoff[nsets]], parent[nsets]
 * (VYRE_PSET_NONE: no parent), first[nsets] (the set's smallest pattern,
 * parents included), and where EOL is not 0, eol[nstates] right after the
 * header: the set a line ending in a state adds (per_pattern=1's DFA with
 * accept sets: its '$' patterns, regex/regex_pdfa.c). first[] is the last
 * table. pump/ops/grep_pset.c lays it out.
 */
#define VYRE_PSET_ENGINE     0  /* VYRE_ENGINE_AHO: above any DFA's word 0 (its nstates) */
#define VYRE_PSET_NPATTERNS  1
#define VYRE_PSET_NCLASSES   2
#define VYRE_PSET_NSTATES    3
#define VYRE_PSET_NDENSE     4
#define VYRE_PSET_NSETS      5
#define VYRE_PSET_DENSE      6  /* word offsets of the tables, from the region's start */
#define VYRE_PSET_CHILD      7
#define VYRE_PSET_LABEL      8
#define VYRE_PSET_FAIL       9
#define VYRE_PSET_ACC        10
#define VYRE_PSET_SETOFF     11
#define VYRE_PSET_IDS        12
#define VYRE_PSET_PARENT     13
#define VYRE_PSET_FIRST      14
#define VYRE_PSET_EOL        15 /* 0: no end-of-line sets */
#define VYRE_PSET_CLASSES    16 /* 64 words: byte -> class, 4 per word */
#define VYRE_PSET_HDR_WORDS  80
#define VYRE_PSET_NONE       VYRE_U(0xFFFFFFFF)
/*
 * A pattern set on the bit-parallel engine (issue 26; regex/regex.h
 * struct regex_shift, ARCHITECTURE.md "Pattern sets"), in its job data
 * region, in 32-bit words: a header, the byte classes 4 a word, then each
 * table at the word offset its header word names: byclass[nclasses *
 * nwords], dist[ndist] (signed), mask[ndist * nwords], first, first_bol,
 * last, last_eol and exc_src[nwords] each, exc_off[npos + 1],
 * exc_to[nexc], owner[npos], and per class c the words where first or
 * first_bol has a bit of c: fword[foff[c]..foff[c+1]) (foff[nclasses +
 * 1]), and per word w the shifts whose mask has a bit in it:
 * wdk[wdoff[w]..wdoff[w+1]) (wdoff[nwords + 1]). START: a line's state before its first byte (VYRE_SHIFT_ST_*).
 * pump/ops/grep_shift.c lays it out and checks every index;
 * shaders/ops/grep_shift.glsl runs it.
 */
#define VYRE_SHIFT_ENGINE    0  /* VYRE_ENGINE_SHIFT */
#define VYRE_SHIFT_NPATTERNS 1
#define VYRE_SHIFT_NCLASSES  2
#define VYRE_SHIFT_NPOS      3
#define VYRE_SHIFT_NWORDS    4
#define VYRE_SHIFT_NDIST     5
#define VYRE_SHIFT_NEXC      6
#define VYRE_SHIFT_START     7
#define VYRE_SHIFT_END       8  /* the region's length in words */
#define VYRE_SHIFT_KMAX      9  /* most shifts of one word (wdk) */
#define VYRE_SHIFT_FMAX      10 /* most first words of one class (fword) */
#define VYRE_SHIFT_WORST     11 /* budget units one byte may cost at most (grep_shift.glsl) */
#define VYRE_SHIFT_BYCLASS   12 /* word offsets of the tables, from the region's start */
#define VYRE_SHIFT_DIST      13
#define VYRE_SHIFT_MASK      14
#define VYRE_SHIFT_FIRST     15
#define VYRE_SHIFT_FIRST_BOL 16
#define VYRE_SHIFT_LAST      17
#define VYRE_SHIFT_LAST_EOL  18
#define VYRE_SHIFT_EXC_SRC   19
#define VYRE_SHIFT_EXC_OFF   20
#define VYRE_SHIFT_EXC_TO    21
#define VYRE_SHIFT_OWNER     22
#define VYRE_SHIFT_FOFF      23
#define VYRE_SHIFT_FWORD     24
#define VYRE_SHIFT_WDOFF     25
#define VYRE_SHIFT_WDK       26
/*
 * per_pattern=1 (VYRE_GREP_F_PSET): the patterns a line matches at its
 * start (ALWAYS: alw[nalw]) and the ones an empty line matches (emp[nemp]),
 * recorded as a line starts and as an empty line ends; NEOL: the
 * positions of last_eol, the most records a line's end can take (the room
 * grep_shift.glsl keeps for it). A line matched pattern i iff it took a
 * record VYRE_REC_SET + i + 1.
 */
#define VYRE_SHIFT_ALW       27
#define VYRE_SHIFT_EMP       28
#define VYRE_SHIFT_NALW      29
#define VYRE_SHIFT_NEMP      30
#define VYRE_SHIFT_NEOL      31
#define VYRE_SHIFT_TABLE_LAST VYRE_SHIFT_EMP /* tables at BYCLASS..TABLE_LAST */
/* per_pattern=1: what a line may need recorded at its start and end, at most */
#define VYRE_SHIFT_PSET_FIXED_MAX 256
#define VYRE_SHIFT_CLASSES   32 /* 64 words: byte -> class, 4 per word */
#define VYRE_SHIFT_HDR_WORDS 96
#define VYRE_SHIFT_WORDS_MAX 2048 /* regex/regex.h REGEX_SHIFT_POS_MAX / 32 */
#define VYRE_SHIFT_DIST_MAX  64   /* regex/regex.h REGEX_SHIFT_DIST_MAX */
/*
 * A line's state on this engine, where grep's line machinery keeps a DFA
 * state (open entries, continuations): bit 0 the line matched (a sink),
 * bit 1 it is selected if it ends here, bit 2 the state vector is past
 * the line's start. Without bit 2 (and bit 0) the line is at its start:
 * an open line is listed that way and its continuation runs it from
 * there. A continuation that stops with bit 2 leaves the vector (nwords
 * words) in its slot's line record area and its hash (VYRE_SHIFT_HASH
 * over the words, seeded with the slot's tag) in the state's bits 3-31;
 * the host checks the hash, keeps the words, and writes them into the
 * next hop's slot's record area.
 */
/*
 * Where the vector sits in the record area: its last (nwords + 1) / 2
 * records, so a per_pattern=1 hop's set records (from record 0) and the
 * vector it saves never meet; such a hop takes at most this many records.
 */
#define VYRE_SHIFT_VEC_REC(rec_max, nwords) ((rec_max) - ((nwords) + VYRE_U(1)) / VYRE_U(2))
#define VYRE_SHIFT_ST_MATCHED VYRE_U(1)
#define VYRE_SHIFT_ST_ACCEPT  VYRE_U(2)
#define VYRE_SHIFT_ST_VECTOR  VYRE_U(4)
#define VYRE_SHIFT_ST_BITS    3
#define VYRE_SHIFT_HASH_SEED(tag) (VYRE_U(2166136261) ^ (tag))
#define VYRE_SHIFT_HASH(h, w) ((((h) ^ (w)) * VYRE_U(16777619)))

/*
 * Which engine a grep region holds: a DFA's word 0 is its state count
 * (VYRE_DFA_STATES_MAX at most), a pattern set's its engine tag, above it.
 */
#define VYRE_DFA_STATES_MAX  VYRE_U(65536)
#define VYRE_ENGINE_DFA      1 /* VYRE_DFA_* words */
#define VYRE_ENGINE_AHO      VYRE_U(0x56410002) /* VYRE_PSET_* words */
#define VYRE_ENGINE_SHIFT    VYRE_U(0x56410003) /* VYRE_SHIFT_* words */

/*
 * grep's counters, in the slot's VYRE_S_OP scratch words while its tiles
 * run (zero at the start: the host never writes them, so a persistent
 * kernel never reads a stale reset) and in its done record's VYRE_D_OP
 * words after. A line start p is kept as ~p under atomicMax, so 0 is "none".
 */
#define VYRE_GC_OPEN         0 /* bit 0: open entry 0 (the resume line's) used; bits 1-31: entries claimed after it */
#define VYRE_GC_REC_MIN      1 /* ~(lowest selected line start not recorded, lines=1), or 0 */
#define VYRE_GC_OPEN_MIN     2 /* ~(lowest open line not listed), or 0 */
#define VYRE_GS_REC_TOP      VYRE_OP_WORDS /* a 4th scratch word: records claimed above the resume tile's half */

/*
 * grep's per-slot output, GPU-written in the completion buffer after the
 * histograms; the host only reads it, after the done word.
 */
#define VYRE_GO_CONT_KIND    4 /* continuation: 1 the line ended, 2 still open */
#define VYRE_GO_CONT_SEL     5 /* continuation: 1 the line is selected */
#define VYRE_GO_CONT_POS     6 /* continuation: position reached (open), relative to the data */
#define VYRE_GO_CONT_STATE   7 /* continuation: DFA state there */
#define VYRE_GO_CONT_KIND_BITS 2 /* the kind word's value; the whole tag above it */
#define VYRE_GO_TILE_NL      8   /* VYRE_GREP_MAX_TILES words: '\n' in each tile */
#define VYRE_GO_TILE_RECS    264 /* VYRE_GREP_MAX_TILES pairs: tile t's records, one 8-byte store */
#define VYRE_GO_TILE_BASE    0   /* where tile t's records start in the slot's record area */
#define VYRE_GO_TILE_N       1   /* how many it wrote */
#define VYRE_GO_OPEN         776 /* VYRE_GREP_OPEN_MAX entries of 4 words */
#define VYRE_GREP_OPEN_MAX   32
#define VYRE_GO_OPEN_START   0 /* the line's start, chunk-relative */
#define VYRE_GO_OPEN_NL      1 /* '\n' between its owning tile's start and it */
#define VYRE_GO_OPEN_POS     2 /* position reached */
#define VYRE_GO_OPEN_STATE   3 /* DFA state there */
#define VYRE_GO_WORDS        (VYRE_GO_OPEN + 4 * VYRE_GREP_OPEN_MAX)
/*
 * The words above that any lane of any tile writes carry a tag, the low
 * VYRE_GO_TAG_BITS of the slot's publish sequence, and so do the line
 * records below: a record, an open entry and a tile's record pair go in
 * one 8- or 16-byte store, tag bits beside the values, and each tile's
 * '\n' word carries some. The host reads a word only once its tag is the
 * slot's (pump/ops/grep_out.c): the done word's release orders the
 * finishing lane's own writes, while on the H100 other lanes' records and
 * open entries were read as the slot's previous values (issue 20: lines=1
 * listed out of order, continued lines miscounted, relaunch only). A
 * continuation's four words are one 16-byte store, the kind word tagged:
 * read stale, they ended continued lines early (+1/-1). Values: start <
 * 2^27, nl and a tile's '\n' < 2^19, state < 2^27 (an Aho-Corasick
 * state, VYRE_AC_STATES_MAX plus its matched state), a tile's record base
 * and count <= VYRE_GREP_REC_CAP < 2^21.
 */
#define VYRE_GO_TAG_BITS     18
#define VYRE_GO_TAG(seq)     ((seq) & VYRE_U(0x3FFFF))
#define VYRE_GO_NL_BITS      19   /* open NL: nl, 13 tag bits above */
#define VYRE_GO_STATE_BITS   27   /* open STATE: state (an AC state is 23 bits), tag bits 13-17 above */
#define VYRE_AC_STATES_MAX   VYRE_U(0x400000) /* regex/regex.h REGEX_AC_STATES_MAX */
#define VYRE_GO_COUNT_BITS   21   /* TILE_RECS: base, tag bits 0-10 above; count, tag bits 11-17 */

/*
 * grep's line records (lines=1), the one definition of their layout:
 * shaders/ops/grep.glsl's grep_rec_store writes them, pump/ops/grep_out.c's
 * grep_rec_read reads them. One record per selected line, VYRE_REC_WORDS
 * words in one store (8 bytes; 4 words would be one 16-byte store), each
 * word tagged as the out words are. A field added here is added to those
 * two functions and nowhere else.
 *
 * They live in their own host-coherent sysmem buffer (ring.c, "recs"),
 * read through pc.rec_addr: pc.rec_max records a slot, sized from the
 * unit's chunk (ring.c ring_rec_max: chunk/16, 1,024 to VYRE_GREP_REC_CAP,
 * VYRE_REC_POOL_BYTES in all). With a fixed 1,024 a chunk of dense
 * matches was run again once per 1,024 records (issue 23 item 5: lines=1,
 * pattern e, 11 MB of text, 4 MiB chunks, lavapipe: 92.5 s, now 0.70 s;
 * BENCHMARKS.md "Line records"). The tile owning the
 * resume line writes from record 0 (its lines always fit when pc.rec_max
 * / 2 holds a tile's), the others claim blocks above it.
 */
#define VYRE_REC_WORDS       2
#define VYRE_REC_START       0  /* the line's start, chunk-relative; tag bits 0-4 above */
#define VYRE_REC_NL          1  /* '\n' from its tile's start to it; tag bits 5-17 above */
#define VYRE_REC_START_BITS  27
#define VYRE_REC_NL_BITS     VYRE_GO_NL_BITS
/*
 * per_pattern=1 (VYRE_GREP_F_PSET, Aho-Corasick): a line also gets one
 * record per accept set it enters, {start, VYRE_REC_SET + set} in the
 * same two words, told from a line record by its NL value: a line's nl is
 * at most a tile's bytes (2^18 at 64 MiB chunks), a set's value above
 * that. The host expands sets into patterns (pump/ops/grep_pcount.c);
 * a lane drops repeats of the last VYRE_AC_SEEN sets of a line, the host
 * every other repeat. A line's state carries VYRE_AC_MATCHED once it
 * entered a set (it is selected, scanned on to its '\n'), and starts as
 * VYRE_AC_FRESH: state 0, its root set (the empty pattern) not yet
 * recorded.
 */
#define VYRE_REC_SET         ((VYRE_U(1) << 18) + 1)
#define VYRE_REC_SETS_MAX    ((VYRE_U(1) << VYRE_REC_NL_BITS) - VYRE_REC_SET)
#define VYRE_AC_MATCHED      VYRE_U(0x800000)
#define VYRE_AC_FRESH        VYRE_U(0x1000000)
#define VYRE_AC_SEEN         8
#define VYRE_GREP_REC_MIN    1024      /* records a slot, at least */
#define VYRE_GREP_REC_CAP    (1u << 20) /* and at most */
#define VYRE_REC_POOL_BYTES  (64u << 20)
#define VYRE_GO_NONE         VYRE_U(0xFFFFFFFF)

/*
 * The debug ring (vyre-runtime's PRINTF opcode; mount option gpu_debug):
 * in the completion buffer after grep's output, VYRE_DBG_HDR_WORDS then
 * VYRE_DBG_RECORDS records of VYRE_DBG_REC_WORDS. A writer (vyre_dbg,
 * shaders/lib.glsl) takes n = atomicAdd(head, 1) and writes record n mod
 * cap as three 16-byte stores, each with n + 1 in its first word; the host
 * (pump/debug_ring.c) takes record n once all three read n + 1, counts it
 * dropped once any reads a later number (overwritten a lap later), and no
 * writer ever waits for the host. cap (VYRE_SPEC_DEBUG_CAP, a power of two
 * at most VYRE_DBG_RECORDS) and the switch itself are specialization
 * constants: the production pipeline (VYRE_SPEC_DEBUG false) has no debug
 * code at all.
 */
#define VYRE_SPEC_DEBUG       0 /* constant_id: bool, the debug variant */
#define VYRE_SPEC_DEBUG_CAP   1 /* constant_id: uint, records in the ring */
/*
 * constant_id: uint, 16-byte words of grep's staged window (shaders/ops/
 * grep.glsl): 1 stages nothing; VYRE_GREP_STAGE_VECS where the arena is
 * host memory on a GPU (relaunch: staged loads are coalesced over PCIe).
 */
#define VYRE_SPEC_GREP_STAGE  2
/* constant_id: bool, grep's flat line loop (grep.glsl grep_fast): on a
 * CPU device, off on a GPU, where it ran 8-23% slower than the per-line
 * code (H100; pump/gpu_kernel.c grep_fast); VYRE_GREP_FAST=0|1 overrides */
#define VYRE_SPEC_GREP_FAST   3
#define VYRE_GREP_STAGE_VECS  768 /* 12 KiB: 48 bytes a lane; s_dfa + this + s_hist < 32 KiB */
#define VYRE_DBG_RECORDS      1024
#define VYRE_DBG_HEAD         0
#define VYRE_DBG_HDR_WORDS    4
#define VYRE_DBG_REC_WORDS    12 /* three 16-byte parts, each tagged */
#define VYRE_DBG_R_TAG        0 /* n + 1 in words 0, 4 and 8 once record n is written */
#define VYRE_DBG_R_OPFMT      1 /* opcode << 16 | format (low 16 bits of each) */
#define VYRE_DBG_R_SLOT       2
#define VYRE_DBG_R_LANE       3 /* workgroup-local lane */
#define VYRE_DBG_VALUES       4 /* in words 5, 6, 7 and 9 */
#define VYRE_DBG_WORDS        (VYRE_DBG_HDR_WORDS + VYRE_DBG_RECORDS * VYRE_DBG_REC_WORDS)
/* Formats: what each record's four values are (pump/debug_ring.c names them). */
#define VYRE_DBG_SLOT_DONE    1 /* any slot completed: status, result, seq, batch */
#define VYRE_DBG_GREP_TILE    2 /* grep tile pass: tile, '\n' in the tile, resume (arg0), seq */
#define VYRE_DBG_GREP_OPEN    3 /* grep line open at the data's end: start, position, DFA state, seq */
#define VYRE_DBG_FORMATS      4

/* The megakernel's workgroup width and its launch parameters. */
#define VYRE_WG_SIZE         256
#define VYRE_MODE_RELAUNCH   0
#define VYRE_MODE_PERSISTENT 1

#ifndef VULKAN
_Static_assert(VYRE_DBG_HDR_WORDS % 4 == 0 && VYRE_DBG_REC_WORDS % 4 == 0 &&
		       (VYRE_HIST_WORDS + VYRE_DONE_WORDS + VYRE_GO_WORDS) % 4 == 0,
	       "debug records are 16-byte stores");
/* The finisher gathers bins or a packed slot's counts one word per lane, into the bins' scratch. */
_Static_assert(VYRE_HIST_BINS == VYRE_WG_SIZE, "one bin per lane");
_Static_assert(VYRE_CI_TENANT_MASK + VYRE_TENANT_BITS / 32 <= VYRE_CI_CACHE_BLOCK &&
		       VYRE_CI_CACHE_BLOCK + 2 * VYRE_CACHE_BLOCKS_MAX <= VYRE_CTRL_IN_WORDS,
	       "the tenant mask and the cache's block table fit the control words");
_Static_assert((VYRE_CACHE_BLOCKS_MAX & (VYRE_CACHE_BLOCKS_MAX - 1)) == 0,
	       "the shader masks a block number");
_Static_assert(VYRE_PACK_FILES_MAX <= VYRE_HIST_BINS, "packed counts fit the bins' scratch");
_Static_assert(2 * VYRE_PACK_FILES_MAX <= VYRE_GO_WORDS, "packed (count, sequence) pairs fit the op output");
_Static_assert(VYRE_GO_STATE_BITS + VYRE_GO_TAG_BITS - (32 - VYRE_GO_NL_BITS) == 32,
	       "an open entry's STATE word holds the state and the rest of the tag");
_Static_assert(VYRE_AC_STATES_MAX < (VYRE_U(1) << VYRE_GO_STATE_BITS),
	       "an Aho-Corasick state and its matched state fit an open entry");
_Static_assert((VYRE_GS_WORDS + VYRE_DONE_WORDS) % 2 == 0 && VYRE_GO_WORDS % 4 == 0,
	       "bins and op output stay 8- and 16-byte aligned");
_Static_assert(VYRE_AC_MATCHED > VYRE_AC_STATES_MAX && VYRE_AC_FRESH > VYRE_AC_MATCHED &&
		       (VYRE_AC_FRESH | VYRE_AC_MATCHED | VYRE_AC_STATES_MAX) < (VYRE_U(1) << VYRE_GO_STATE_BITS),
	       "per_pattern's state flags sit above every Aho-Corasick state and fit an open entry");
_Static_assert(VYRE_REC_SET + 100000 < (VYRE_U(1) << VYRE_REC_NL_BITS),
	       "a set record's value fits the NL field for any set of 100,000 patterns");
_Static_assert(VYRE_REC_WORDS == 2, "a record is one 8-byte store (grep_rec_store, grep_rec_read)");
_Static_assert(VYRE_GREP_REC_CAP < (1u << VYRE_GO_COUNT_BITS) &&
		       2 * (32 - VYRE_GO_COUNT_BITS) >= VYRE_GO_TAG_BITS,
	       "a tile's record pair holds its base, its count and the whole tag");
_Static_assert((32 - VYRE_REC_START_BITS) + (32 - VYRE_REC_NL_BITS) >= VYRE_GO_TAG_BITS,
	       "a record holds the whole tag");

struct vyre_push {
	uint64_t arena_addr; /* buffer device address of the data arena */
	uint64_t data_addr;  /* buffer device address of the job data pool */
	uint32_t nslots;
	uint32_t mode;
	uint32_t max_claims; /* claims one workgroup makes before it exits */
	uint32_t heartbeat_every;
	uint32_t max_iters; /* loop passes one workgroup makes: the spin limit */
	uint32_t cpu_layout; /* lanes take contiguous runs (a CPU device), not strided */
	uint64_t rec_addr;   /* buffer device address of grep's line records (VYRE_REC_*) */
	uint32_t rec_max;    /* records a slot */
	uint32_t cache_shift; /* a file cache block's span of cache offsets, log2 (VYRE_CI_CACHE_BLOCK) */
};
#endif

#endif
