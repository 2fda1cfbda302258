"""A short libFuzzer run of the iTIP REPLY parser (tests/fuzz/fuzz_itip.c).

Builds the fuzz target with clang (-fsanitize=fuzzer,address,undefined)
straight from the few sources it needs, seeds it with the Exchange and Gmail
replies in tests/fuzz/corpus_itip, and runs it for FUZZ_SECONDS (20 unless
CONVENE_FUZZ_SECONDS says otherwise). Any crash, leak, sanitizer report or
trap (the harness checks the parser's output) fails the test and leaves the
reproducer in CONVENE_TEST_OUTPUT_DIR.

Longer runs: see docs/invites.md (cmake -DCONVENE_FUZZ=ON).

Run: /usr/bin/python3 tests/integration/test_fuzz_itip.py -v
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ.get("CONVENE_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = int(os.environ.get("CONVENE_FUZZ_SECONDS", "20"))
# itip.c and what it links against (the matcher half uses db/audit/log).
SOURCES = ["tests/fuzz/fuzz_itip.c", "server/itip.c", "server/str.c",
           "server/audit.c", "server/db.c", "server/log.c",
           "server/changes.c", "server/bgthread.c", "server/ltime.c"]


def pkg_flags(*pkgs):
    out = subprocess.run(["pkg-config", "--cflags", "--libs"] + list(pkgs),
                         check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.split()


@unittest.skipUnless(shutil.which("clang"), "clang is not installed "
                     "(scripts/deps.sh installs it)")
class FuzzItipTest(unittest.TestCase):
    def test_fuzz_reply_parser(self):
        work = tempfile.mkdtemp(prefix="convene-fuzz-")
        try:
            binary = os.path.join(work, "fuzz_itip")
            cmd = ["clang", "-g", "-O1", "-std=c11",
                   "-fsanitize=fuzzer,address,undefined",
                   "-fno-sanitize-recover=undefined",
                   "-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE",
                   "-I", os.path.join(ROOT, "include"), "-o", binary]
            cmd += [os.path.join(ROOT, s) for s in SOURCES]
            cmd += pkg_flags("libical", "libsodium", "jansson", "libpq")
            build = subprocess.run(cmd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            if build.returncode != 0 and "libclang_rt.fuzzer" in build.stdout:
                self.fail("clang has no libFuzzer runtime: install "
                          "libclang-rt-14-dev (scripts/deps.sh lists it)")
            self.assertEqual(build.returncode, 0, build.stdout[-4000:])
            corpus = os.path.join(work, "corpus")
            shutil.copytree(os.path.join(ROOT, "tests", "fuzz",
                                         "corpus_itip"), corpus)
            artifacts = os.path.join(work, "artifacts") + "/"
            os.makedirs(artifacts)
            env = dict(os.environ)
            env["ASAN_OPTIONS"] = "detect_leaks=1"
            run = subprocess.run([binary, "-max_total_time=%d" % SECONDS,
                                  "-max_len=8192", "-timeout=10",
                                  "-rss_limit_mb=2048",
                                  "-artifact_prefix=" + artifacts, corpus],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True,
                                 env=env, timeout=SECONDS + 120)
            if run.returncode != 0:
                keep = os.environ.get("CONVENE_TEST_OUTPUT_DIR")
                if keep:
                    os.makedirs(keep, exist_ok=True)
                    for n in os.listdir(artifacts):
                        shutil.copy(os.path.join(artifacts, n),
                                    os.path.join(keep, "fuzz_itip-" + n))
            self.assertEqual(run.returncode, 0, run.stdout[-6000:])
            self.assertIn("Done", run.stdout)
            # It really ran: libFuzzer reports how many inputs it tried.
            runs = [ln for ln in run.stdout.splitlines()
                    if ln.startswith("Done ")]
            self.assertTrue(runs and int(runs[-1].split()[1]) > 1000,
                            run.stdout[-2000:])
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
