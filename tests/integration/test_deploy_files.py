"""The deployment files, checked with the real tools where this machine has
them.

- deploy/convene.service: `systemd-analyze verify` (with ExecStart pointed at
  the binary under test; a unit with a misspelt directive is shown to fail
  the same check), the sandboxing the issue asks for, and
  `systemd-analyze security --offline` exposure at most 2.0 ("OK").
- deploy/convene.env.example: every setting in it is accepted by `convene`
  itself (it validates all settings at start) and documented in
  docs/configuration.md.
- docker-compose.yml, parsed with python3-yaml: PostgreSQL 15 with a named
  volume and a healthcheck, Convene waiting for it, a mail catcher that
  Convene's SMTP URL points at, every published port bound to 127.0.0.1.
  Docker itself cannot run here (docs/deploy.md).
- Dockerfile: multi-stage, a slim runtime stage without -dev packages that
  installs the Debian package of every shared library the convene binary
  links against (found with readelf and dpkg -S), runs as a non-root user,
  has a HEALTHCHECK on /healthz, and copies only paths that exist.
- deploy/nginx-convene.conf: `nginx -t`, then served for real in front of a
  Convene instance over TLS: 200 through HTTPS with exactly one HSTS
  header, plain HTTP redirected, /metrics hidden, large bodies refused.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_deploy_files.py -v
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
import nginx_test  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "deploy", "convene.service")
ENV_EXAMPLE = os.path.join(ROOT, "deploy", "convene.env.example")


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def unit_directives(text):
    """{(section, key): [values]} of a unit file."""
    out = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        k, _, v = line.partition("=")
        out.setdefault((section, k.strip()), []).append(v.strip())
    return out


class UnitTest(unittest.TestCase):
    def setUp(self):
        self.analyze = shutil.which("systemd-analyze")
        self.text = read("deploy/convene.service")
        self.d = unit_directives(self.text)

    def verify(self, text, name="convene.service", instance=None):
        """systemd-analyze verify on text with ExecStart pointed at the
        binary under test; (exit status, what it printed)."""
        d = ct.tmpdir("convene-unit-")
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text.replace("/usr/local/bin/convene", ct.convene_bin()))
        if instance is not None:
            path = os.path.join(d, instance)
        p = subprocess.run([self.analyze, "verify", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        return p.returncode, p.stdout

    def test_sandboxing(self):
        want = {
            "User": "convene", "Group": "convene",
            "EnvironmentFile": "/etc/convene/convene.env",
            "ExecStart": "/usr/local/bin/convene serve",
            "Restart": "on-failure",
            "NoNewPrivileges": "yes", "ProtectSystem": "strict",
            "ProtectHome": "yes", "PrivateTmp": "yes",
            "PrivateDevices": "yes",
            "ReadWritePaths": "/var/lib/convene",
            "CapabilityBoundingSet": "", "AmbientCapabilities": "",
            "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
            "MemoryDenyWriteExecute": "yes", "LockPersonality": "yes",
            "RestrictNamespaces": "yes", "RestrictSUIDSGID": "yes",
            "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
            "ProtectControlGroups": "yes",
            "SystemCallArchitectures": "native",
        }
        for k, v in want.items():
            self.assertEqual(self.d.get(("Service", k)), [v], k)
        self.assertEqual(self.d[("Service", "SystemCallFilter")][0],
                         "@system-service")
        # Nothing but the data directory is writable, and it is the one the
        # service is told to use.
        env = [e for e in self.d.get(("Service", "Environment"), [])]
        self.assertIn("CONVENE_DATA_DIR=/var/lib/convene", env)
        self.assertNotIn(("Service", "ReadOnlyPaths"), self.d)
        self.assertEqual(self.d[("Install", "WantedBy")],
                         ["multi-user.target"])

    def test_template_has_the_same_sandbox(self):
        t = unit_directives(read("deploy/convene@.service"))
        self.assertEqual(t.pop(("Service", "ExecStart")),
                         ["/usr/local/bin/convene serve --listen "
                          "127.0.0.1:%i"])
        self.assertIn("%i", t.pop(("Unit", "Description"))[0])
        d = dict(self.d)
        del d[("Service", "ExecStart")]
        del d[("Unit", "Description")]
        self.assertEqual(t, d)

    def test_systemd_analyze_verify(self):
        if self.analyze is None:
            self.skipTest("systemd-analyze is not installed (Debian package "
                          "systemd; scripts/deps.sh installs it)")
        rc, out = self.verify(self.text)
        self.assertEqual((rc, out.strip()), (0, ""))
        rc, out = self.verify(read("deploy/convene@.service"),
                              "convene@.service", "convene@8081.service")
        self.assertEqual((rc, out.strip()), (0, ""))
        # The check has teeth: a misspelt directive and a bad value are
        # reported (systemd ignores them, so the exit status stays 0).
        rc, out = self.verify(self.text.replace(
            "NoNewPrivileges=yes", "NoNewPrivilegs=yes"))
        self.assertIn("Unknown key", out)
        rc, out = self.verify(self.text.replace(
            "ProtectSystem=strict", "ProtectSystem=stricter"))
        self.assertRegex(out, r"(?i)protect.?system")

    def test_systemd_analyze_security(self):
        if self.analyze is None:
            self.skipTest("systemd-analyze is not installed")
        d = ct.tmpdir("convene-unit-")
        path = os.path.join(d, "convene.service")
        shutil.copy(UNIT, path)
        p = subprocess.run([self.analyze, "security", "--offline=yes",
                            "--no-pager", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        m = re.search(r"Overall exposure level for convene\.service: "
                      r"([0-9.]+) (\w+)", p.stdout)
        self.assertIsNotNone(m, p.stdout[-2000:])
        self.assertLessEqual(float(m.group(1)), 2.0, p.stdout[-3000:])
        # The score means something: the same unit without its sandbox
        # scores far worse.
        bare = "\n".join(ln for ln in self.text.splitlines()
                         if ln.startswith(("[", "Description", "ExecStart",
                                           "User", "Group", "WantedBy")))
        with open(path, "w") as f:
            f.write(bare + "\n")
        p = subprocess.run([self.analyze, "security", "--offline=yes",
                            "--no-pager", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        m2 = re.search(r"Overall exposure level for convene\.service: "
                       r"([0-9.]+)", p.stdout)
        self.assertIsNotNone(m2, p.stdout[-2000:])
        self.assertGreater(float(m2.group(1)), 7.0)


class EnvExampleTest(unittest.TestCase):
    def settings(self):
        out = {}
        for line in read("deploy/convene.env.example").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, sep, v = line.partition("=")
            self.assertEqual(sep, "=", line)
            self.assertEqual(k, k.strip(), line)
            self.assertNotIn('"', v)
            out[k] = v
        return out

    def test_every_setting_accepted_and_documented(self):
        env = self.settings()
        doc = read("docs/configuration.md")
        commented = re.findall(r"^#(CONVENE_[A-Z_]+)=",
                               read("deploy/convene.env.example"), re.M)
        for k in list(env) + commented:
            if k.startswith("CONVENE_"):
                self.assertTrue("`%s`" % k in doc,
                                "%s is not in docs/configuration.md" % k)
            else:
                self.assertIn(k, ("PGCONNECT_TIMEOUT",), k)
        # convene validates every setting before any command runs: the
        # example (with a metrics token filled in) must pass.
        e = dict(env)
        e["CONVENE_METRICS_TOKEN"] = "0123456789abcdef" * 4
        p = ct.run_cli(None, "routes", env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        # And a wrong value in the same file is refused with its name.
        e["CONVENE_SMTP_URL"] = "http://smtp.example.gov.uk"
        p = ct.run_cli(None, "routes", env=e)
        self.assertEqual(p.returncode, 1)
        self.assertIn("CONVENE_SMTP_URL", p.stderr)


class ComposeTest(unittest.TestCase):
    def setUp(self):
        self.doc = yaml.safe_load(read("docker-compose.yml"))
        self.svc = self.doc["services"]

    def find(self, pred):
        names = [n for n, s in self.svc.items() if pred(s)]
        self.assertEqual(len(names), 1, names)
        return names[0], self.svc[names[0]]

    def test_services(self):
        db_name, db = self.find(lambda s: str(s.get("image", ""))
                                .startswith("postgres:15"))
        _, conv = self.find(lambda s: "build" in s)
        mail_name, _ = self.find(lambda s: re.search(
            r"mailpit|mailhog|smtp4dev|mailcatcher",
            str(s.get("image", ""))) is not None)
        # PostgreSQL keeps its data in a named volume, declared.
        vols = [v.split(":") for v in db.get("volumes", [])]
        data = [v for v in vols if v[1] == "/var/lib/postgresql/data"]
        self.assertEqual(len(data), 1, vols)
        self.assertIn(data[0][0], self.doc.get("volumes") or {})
        self.assertIn("pg_isready", " ".join(
            db["healthcheck"]["test"] if isinstance(
                db["healthcheck"]["test"], list) else
            [db["healthcheck"]["test"]]))
        # Convene starts after PostgreSQL is healthy, talks to both by
        # service name.
        self.assertEqual(conv["depends_on"][db_name]["condition"],
                         "service_healthy")
        env = conv["environment"]
        if isinstance(env, list):
            env = dict(x.split("=", 1) for x in env)
        self.assertIn("@%s:5432/" % db_name, env["CONVENE_DATABASE_URL"])
        self.assertTrue(env["CONVENE_SMTP_URL"].startswith(
            "smtp://%s:" % mail_name), env["CONVENE_SMTP_URL"])
        # Convene's health: in compose, or the image's HEALTHCHECK.
        self.assertTrue("healthcheck" in conv or
                        "HEALTHCHECK" in read("Dockerfile"))

    def test_ports_on_loopback_only(self):
        published = 0
        for name, s in self.svc.items():
            self.assertNotEqual(s.get("network_mode"), "host", name)
            for p in s.get("ports", []):
                published += 1
                if isinstance(p, dict):
                    self.assertEqual(p.get("host_ip"), "127.0.0.1", (name, p))
                else:
                    self.assertTrue(str(p).startswith("127.0.0.1:"),
                                    (name, p))
        self.assertGreaterEqual(published, 1)


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        text = re.sub(r"\\\n", " ", read("Dockerfile"))
        self.stages = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ins, _, rest = line.partition(" ")
            ins = ins.upper()
            if ins == "FROM":
                self.stages.append({"from": rest, "ins": []})
                continue
            self.assertTrue(self.stages, "instruction before FROM")
            self.stages[-1]["ins"].append((ins, rest.strip()))
        self.final = self.stages[-1]

    def final_ins(self, name):
        return [r for i, r in self.final["ins"] if i == name]

    def test_multi_stage_slim_non_root(self):
        self.assertGreaterEqual(len(self.stages), 2)
        self.assertRegex(self.stages[0]["from"], r"^debian:12\S* AS \w+")
        self.assertRegex(self.final["from"], r"^debian:12-slim")
        users = self.final_ins("USER")
        self.assertTrue(users)
        self.assertNotIn(users[-1].split(":")[0], ("root", "0"))
        # HEALTHCHECK on /healthz, in the stage that runs.
        hc = self.final_ins("HEALTHCHECK")
        self.assertEqual(len(hc), 1)
        self.assertIn("/healthz", hc[0])
        entry = " ".join(self.final_ins("ENTRYPOINT") +
                         self.final_ins("CMD"))
        self.assertIn("convene", entry)
        self.assertIn("serve", entry)
        self.assertTrue(any(r.startswith("--from=") for r in
                            self.final_ins("COPY")))

    def runtime_packages(self):
        pkgs = set()
        for r in self.final_ins("RUN"):
            for m in re.finditer(r"apt-get install ([^&;|]*)", r):
                pkgs |= {w for w in shlex.split(m.group(1))
                         if not w.startswith("-")}
        return pkgs

    def test_runtime_has_every_library_and_no_dev_package(self):
        pkgs = self.runtime_packages()
        self.assertTrue(pkgs)
        self.assertEqual([p for p in pkgs if p.endswith("-dev")], [])
        out = subprocess.run(["readelf", "-d", ct.convene_bin()],
                             stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                            out)
        self.assertIn("libpq.so.5", needed)
        base = ("libc.so", "libm.so", "ld-linux", "libgcc_s", "libpthread",
                "libasan", "libubsan", "libstdc++")	# sanitizer builds
        for lib in needed:
            if lib.startswith(base):
                continue
            path = subprocess.run(
                ["sh", "-c", "ldconfig -p | awk -v l=%s '$1 == l {print "
                 "$NF; exit}'" % shlex.quote(lib)],
                stdout=subprocess.PIPE, text=True).stdout.strip()
            self.assertTrue(path, lib)
            real = os.path.realpath(path)
            owner = subprocess.run(["dpkg", "-S", real],
                                   stdout=subprocess.PIPE, text=True)
            if owner.returncode != 0:
                owner = subprocess.run(["dpkg", "-S", path],
                                       stdout=subprocess.PIPE, text=True)
            pkg = owner.stdout.split(":")[0]
            self.assertIn(pkg, pkgs, "%s (%s) is not installed in the "
                          "runtime stage" % (lib, pkg))

    def test_copied_paths_exist(self):
        for stage in self.stages:
            for ins, rest in stage["ins"]:
                if ins != "COPY" or rest.startswith("--from"):
                    continue
                srcs = shlex.split(rest)[:-1]
                for s in srcs:
                    self.assertTrue(os.path.exists(os.path.join(ROOT, s)),
                                    "COPY %s: not in the repository" % s)
        # The runtime directories are where convene looks by default
        # (server/config.c), or named by an ENV line.
        copies = " ".join(self.final_ins("COPY"))
        env = " ".join(self.final_ins("ENV"))
        govuk = re.search(r"node_modules/govuk-frontend/(\S+) "
                          r"(/usr/share/convene/\S+)", copies)
        self.assertIsNotNone(govuk, copies)
        self.assertEqual(govuk.group(1).rstrip("/"), "dist/govuk",
                         "govuk-frontend's dist/govuk holds "
                         "govuk-frontend.min.css")
        self.assertTrue(govuk.group(2).rstrip("/") ==
                        "/usr/share/convene/govuk-frontend" or
                        "CONVENE_GOVUK_DIR=" + govuk.group(2) in env)
        for d in ("web", "ics-templates", "templates"):
            if os.path.isdir(os.path.join(ROOT, d)):
                self.assertRegex(copies, r"/src/%s /usr/share/convene/%s" %
                                 (d, d), "%s/ is not in the image" % d)


class NginxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if nginx_test.nginx_bin() is None:
            raise unittest.SkipTest("nginx is not installed (scripts/deps.sh "
                                    "installs it)")
        cls.db = ct.fresh_database("convene_it_deploy")
        cls.srv = ct.Server(cls.db, env={
            "CONVENE_BASE_URL": "https://convene.example.gov.uk"})
        cls.ng = nginx_test.Nginx([cls.srv.port])
        rc, out = cls.ng.check()
        assert rc == 0, out
        cls.ng.start()
        cls.op = nginx_test.opener(cls.ng.ssl)

    @classmethod
    def tearDownClass(cls):
        cls.ng.stop()
        cls.srv.stop()

    def get(self, path, base=None, **kw):
        return nginx_test.request(self.op, kw.pop("method", "GET"),
                                  (base or self.ng.https_base) + path, **kw)

    def test_tls_and_hsts(self):
        st, h, body = self.get("/healthz")
        self.assertEqual(st, 200, body)
        self.assertEqual(h.get_all("Strict-Transport-Security"),
                         ["max-age=31536000; includeSubDomains"])
        self.assertNotIn("nginx/", h.get("Server", ""))
        # Convene's own headers pass through.
        self.assertEqual(h["X-Content-Type-Options"], "nosniff")
        # Errors get HSTS too.
        st, h, _ = self.get("/no/such/page")
        self.assertEqual(st, 404)
        self.assertEqual(len(h.get_all("Strict-Transport-Security")), 1)

    def test_plain_http_redirects(self):
        st, h, _ = self.get("/meetings?x=1", base=self.ng.http_base)
        self.assertEqual(st, 301)
        self.assertEqual(h["Location"], "https://127.0.0.1/meetings?x=1")

    def test_metrics_not_public(self):
        st, _, body = self.get("/metrics")
        self.assertEqual(st, 404)
        self.assertNotIn(b"convene_http_requests_total", body)
        # Even if nginx let it through, Convene refuses proxied requests.
        st, _, _ = ct.api("GET", self.srv.base, "/metrics",
                          headers={"X-Forwarded-For": "198.51.100.7"})
        self.assertEqual(st, 403)

    def test_large_body_refused_by_nginx(self):
        st, _, _ = self.get("/api/v1/meetings", method="POST",
                            data=b"x" * (300 * 1024),
                            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 413)
        # nginx logs the request once its lingering close ends.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(r["status"] == 413 and r["upstreams"] == []
                   for r in self.ng.access_lines()):
                break
            time.sleep(0.1)
        else:
            self.fail("413 not answered by nginx itself: %r" %
                      self.ng.access_lines())


if __name__ == "__main__":
    unittest.main(verbosity=2)
