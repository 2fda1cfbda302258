"""A short libFuzzer run of every fuzz target but fuzz_itip (which has its
own test, test_fuzz_itip.py): tests/fuzz/fuzz_*.c, today fuzz_form,
fuzz_json, fuzz_mfa, fuzz_router and fuzz_tmpl; a new target is picked up by
itself.

Builds them with scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined,
the core compiled with -fsanitize=fuzzer-no-link, in CONVENE_FUZZ_BUILD or
./build-fuzz, reused between runs) and runs each for CONVENE_FUZZ_SECONDS
(6 unless set: eight targets, and the suite stays under 15 minutes) on a
copy of tests/fuzz/corpus_<name>/. Any crash, leak,
sanitizer report or harness trap fails the test and leaves the reproducer in
CONVENE_TEST_OUTPUT_DIR/fuzz (or tests/output/fuzz).

Longer runs: ./scripts/fuzz.sh 600 (docs/reliability.md).

Run: /usr/bin/python3 tests/integration/test_fuzz_short.py -v
"""

import glob
import os
import re
import shutil
import subprocess
import unittest

ROOT = os.environ.get("CONVENE_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = int(os.environ.get("CONVENE_FUZZ_SECONDS", "6"))
OWN_TEST = {"fuzz_itip"}	# run by test_fuzz_itip.py


def targets():
    return sorted(os.path.basename(p)[:-2] for p in
                  glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c"))
                  if os.path.basename(p)[:-2] not in OWN_TEST)


@unittest.skipUnless(shutil.which("clang"), "clang is not installed "
                     "(scripts/deps.sh installs it)")
class FuzzShortTest(unittest.TestCase):
    def test_every_target(self):
        names = targets()
        self.assertGreaterEqual(len(names), 4, names)
        for n in names:
            corpus = os.path.join(ROOT, "tests", "fuzz",
                                  "corpus_" + n[len("fuzz_"):])
            self.assertTrue(os.path.isdir(corpus) and os.listdir(corpus),
                            "%s has no seed corpus %s" % (n, corpus))
        env = dict(os.environ)
        env.setdefault("CONVENE_FUZZ_BUILD", os.path.join(ROOT, "build-fuzz"))
        keep = env.get("CONVENE_TEST_OUTPUT_DIR")
        env["CONVENE_FUZZ_KEEP"] = os.path.join(
            keep or os.path.join(ROOT, "tests", "output"), "fuzz")
        env["ASAN_OPTIONS"] = "detect_leaks=1"
        run = subprocess.run([os.path.join(ROOT, "scripts", "fuzz.sh"),
                              str(SECONDS)] + names,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=env,
                             timeout=1200 + len(names) * (SECONDS + 60))
        out = run.stdout
        if run.returncode != 0 and "libclang_rt.fuzzer" in out:
            self.fail("clang has no libFuzzer runtime: install "
                      "libclang-rt-14-dev (scripts/deps.sh lists it)")
        self.assertEqual(run.returncode, 0, out[-6000:])
        for n in names:
            m = re.search(r"^fuzz %s: (\d+) runs in \d+ s, ok$" %
                          re.escape(n), out, re.M)
            self.assertIsNotNone(m, "%s did not report:\n%s" %
                                 (n, out[-3000:]))
            # It really ran: more than the seeds, many times over.
            self.assertGreater(int(m.group(1)), 1000, (n, m.group(0)))
        print("\n".join(ln for ln in out.splitlines()
                        if ln.startswith("fuzz ")))


if __name__ == "__main__":
    unittest.main()
