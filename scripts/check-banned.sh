#!/usr/bin/env bash
# check-banned.sh: fail when server/ or include/ call a banned function:
# strcpy, strcat, sprintf, vsprintf, gets, atoi, atol, atoll, strtok. Use
# str_copy/buf_*/snprintf (result checked)/str_to_long instead (include/str.h).
# Comments and string literals are ignored, so "never use strcpy()" in a
# comment is fine; snprintf, vsnprintf, fgets and strtok_r are not matched.
# Prints file:line: text for each hit and exits 1; exits 0 when clean.
set -euo pipefail
cd "$(dirname "$0")/.."

dirs=()
for d in server include; do
	[ -d "$d" ] && dirs+=("$d")
done
if [ "${#dirs[@]}" -eq 0 ]; then
	echo "check-banned: no server/ or include/ directory" >&2
	exit 1
fi

mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)

/usr/bin/python3 - "${files[@]}" <<'PY'
import re
import sys

BANNED = ("strcpy", "strcat", "sprintf", "vsprintf", "gets", "atoi", "atol",
          "atoll", "strtok")
# A call: the name as a whole word (not s->atoi, not fgets, not snprintf),
# then optional blanks and "(".
CALL = re.compile(r"(?<![\w.>])(" + "|".join(BANNED) + r")\s*\(")


def strip(src):
    """Blank out comments and string/char literals, keeping newlines so line
    numbers stay right."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", src[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


hits = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        src = f.read()
    raw = src.split("\n")
    for lineno, line in enumerate(strip(src).split("\n"), 1):
        for m in CALL.finditer(line):
            print(f"{path}:{lineno}: {m.group(1)}: {raw[lineno - 1].strip()}")
            hits += 1
if hits:
    print(f"check-banned: {hits} call(s) to banned functions "
          "(see include/str.h for the replacements)", file=sys.stderr)
    sys.exit(1)
print(f"check-banned: {len(sys.argv) - 1} files clean")
PY
