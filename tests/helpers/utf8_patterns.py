#!/usr/bin/python3
# utf8_patterns.py SEED COUNT [input FILE]: COUNT random EREs over UTF-8
# atoms ('.', letters with case counterparts a closure would get wrong,
# brackets, [:classes:], \w \W \s \S), one a line as "ERE<TAB>DESC", DESC
# being the ERE escaped for a descriptor's pattern="..." (\\ and \").
# With "input FILE": writes a file mixing valid UTF-8 lines, invalid bytes
# (a lone continuation, a truncated sequence, an overlong form, a
# surrogate, 0xff) and both on one line. Deterministic for a seed, so a
# failure names its case. Used by tests/bats/vyrectl_grep_binary_utf8.bats.
import random
import sys

CHARS = ["a", "b", "s", "S", "k", "K", "i", "I", "é", "É", "ſ", "\u212a", "ı", "σ", "Σ",
         "ς", "µ", "Μ", "日", "—", " ", "1", "_", "ǅ", "ß", "😀"]
BRACKETS = ["[é]", "[^a]", "[a-z]", "[^a-z]", "[[:alpha:]]", "[[:upper:]]", "[[:lower:]]",
            "[^[:alpha:]]", "[[:punct:]]", "[[:space:]]", "[[:digit:]é]", "[σΣ]",
            "[^é日]", "[sk]", "[[:alnum:]_]", "[^[:lower:]]", "[.]", "[[:graph:]]"]
ESCAPES = ["\\w", "\\W", "\\s", "\\S"]
QUANT = ["", "", "", "?", "*", "+", "{2}", "{1,2}"]


def atom(r, depth):
    k = r.random()
    if k < 0.25:
        return "."
    if k < 0.55:
        return r.choice(CHARS)
    if k < 0.8:
        return r.choice(BRACKETS)
    if k < 0.92 or depth > 1:
        return r.choice(ESCAPES)
    return "(" + branch(r, depth + 1) + "|" + branch(r, depth + 1) + ")"


def branch(r, depth):
    out = ""
    for _ in range(r.randint(1, 3)):
        a = atom(r, depth)
        # a counted group of classes can pass the DFA's 16 MiB cap (a refusal, not grep's answer)
        out += a + r.choice(QUANT[:5] if a.startswith("(") else QUANT)
    return out


def pattern(r):
    p = branch(r, 0)
    if r.random() < 0.3:
        p = "^" + p
    if r.random() < 0.3:
        p += "$"
    return p


def write_input(path, r):
    # not the RFC 2279 forms past U+10FFFF (f4 90.., f5..fd): grep's two
    # engines disagree on them (vyrectl(1), What differs)
    bad = [b"\xff", b"\x80", b"\xc3", b"\xe2\x84", b"\xc0\xaf", b"\xed\xa0\x80", b"\xfe"]
    lines = []
    for n in range(400):
        s = "".join(r.choice(CHARS) for _ in range(r.randint(0, 4))).encode()
        if n % 3 == 0:
            at = r.randint(0, len(s))
            s = s[:at] + r.choice(bad) + s[at:]
        lines.append(s)
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    r = random.Random(seed)
    if len(sys.argv) > 4 and sys.argv[3] == "input":
        write_input(sys.argv[4], r)
        return
    for _ in range(count):
        p = pattern(r)
        d = p.replace("\\", "\\\\").replace('"', '\\"')
        sys.stdout.write(p + "\t" + d + "\n")


main()
