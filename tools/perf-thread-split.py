#!/usr/bin/env python3
# perf-thread-split.py PERF.DATA HZ FILES: the CPU of each thread of a vyrefs run
# (perf record -g), per file, split by the system call or function each
# sample was in (tools/walk-profile.sh; BENCHMARKS.md "The walk")
import subprocess, sys, collections, re
data, hz, files = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,tid,ip,sym'], capture_output=True, text=True).stdout
# innermost-first: the first frame naming one of these decides (order = priority)
RULES = [
    ('getdents64', ['__x64_sys_getdents64', '__GI___getdents64']),
    ('openat2', ['__x64_sys_openat2']),
    ('fstat/statx', ['__x64_sys_newfstatat', '__x64_sys_newfstat', '__x64_sys_statx', '__GI___fstatat64', '__fstat64']),
    ('fcntl F_DUPFD', ['f_dupfd']),
    ('fcntl F_SETFL/F_GETFL', ['__x64_sys_fcntl']),
    ('close', ['__x64_sys_close', '__close']),
    ('preadv2 (read)', ['__x64_sys_preadv2', 'preadv64v2']),
    ('io_uring_enter', ['__x64_sys_io_uring_enter']),
    ('io-wq work', ['io_wq_worker', 'io_worker_handle_work']),
    ('futex', ['__x64_sys_futex']),
    ('page fault', ['asm_exc_page_fault']),
    ('other system call', ['do_syscall_64', 'entry_SYSCALL_64']),
]
cat = collections.defaultdict(collections.Counter)
comm_of = {}
cur = None
frames = []
def flush():
    if cur is None:
        return
    key = 'other'
    for f in frames:
        for name, syms in RULES:
            if any(f.startswith(s) for s in syms):
                key = name
                break
        else:
            continue
        break
    LIBC = [('getdents64', '__GI___getdents64'), ('fstat/statx', '__GI___fstatat64'),
            ('fstat/statx', '__fstat64'), ('fcntl (F_SETFL, F_GETFL, F_DUPFD)', '__fcntl64_nocancel'),
            ('fcntl (F_SETFL, F_GETFL, F_DUPFD)', '__libc_fcntl64'), ('close', '__close'),
            ('preadv2 (read)', 'preadv64v2'), ('futex', '__futex'), ('futex', '__GI___lll_lock_wake'),
            ('openat2', 'syscall'), ('io_uring_enter', '__sys_io_uring_enter'),
            ('io_uring_enter', 'io_uring_submit'), ('io_uring_enter', '__io_uring')]
    if key in ('other system call', 'other'):
        for f in frames:
            hit = [c for c, sym in LIBC if f.startswith(sym)]
            if hit:
                key = hit[0]
                break
    if key == 'other':
        for f in frames:
            if not f.startswith(('0x', '[unknown]')) and not f.startswith(('_', 'native_', 'pvm_')):
                key = 'user: ' + f.split('+')[0]
                break
    cat[cur][key] += 1
for line in out.splitlines():
    if not line.strip():
        continue
    if not line.startswith((' ', '\t')):
        flush()
        m = re.match(r'\s*(\S.*?)\s+(\d+)\s*$', line)
        if not m:
            cur = None
            continue
        cur = int(m.group(2)); comm_of[cur] = m.group(1); frames = []
    else:
        parts = line.split()
        if len(parts) >= 2:
            frames.append(parts[1])
flush()
tot = sum(sum(c.values()) for c in cat.values())
print('samples %d at %g Hz = %.2f s CPU; %d files' % (tot, hz, tot / hz, files))
for tid, c in sorted(cat.items(), key=lambda kv: -sum(kv[1].values())):
    n = sum(c.values())
    if n / hz < 0.05:
        continue
    print('%-12s tid %-6d %6.2f s = %6.2f us/file' % (comm_of[tid], tid, n / hz, n / hz / files * 1e6))
    for k, v in c.most_common():
        if v / hz / files * 1e6 >= 0.05:
            print('    %-45s %6.2f us/file' % (k, v / hz / files * 1e6))
