"""Golden tests for `sluice check`.

Every configs/bad/<case>.yaml (or .json) has a sibling <case>.expected holding the exact
stderr of `sluice check configs/bad/<case>.yaml` run from test/e2e: one `FILE:LINE:COL:
message` line per error, in file order. Every configs/good/* file must pass with exit 0 and
a single summary line on stdout.

The binary comes from SLUICE_BIN (set by ctest).
"""

import os
import re
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("SLUICE_BIN")
SUMMARY = re.compile(
    r"^(?P<file>\S+): ok \(\d+ services, \d+ routes, \d+ upstreams, \d+ targets, "
    r"\d+ consumers, \d+ plugins\)\n$"
)


def cases(folder, exts):
    root = os.path.join(HERE, "configs", folder)
    names = sorted(n for n in os.listdir(root) if os.path.splitext(n)[1] in exts)
    return [os.path.join("configs", folder, n) for n in names]


def check(rel):
    return subprocess.run(
        [BIN, "check", rel], cwd=HERE, capture_output=True, text=True, timeout=60
    )


@unittest.skipUnless(BIN, "SLUICE_BIN is not set")
class CheckGoldenTest(unittest.TestCase):
    def test_bad_configs_report_exact_errors(self):
        bad = cases("bad", {".yaml", ".yml", ".json"})
        self.assertGreaterEqual(len(bad), 25)
        for rel in bad:
            with self.subTest(config=rel):
                with open(os.path.join(HERE, os.path.splitext(rel)[0] + ".expected")) as f:
                    expected = f.read()
                self.assertTrue(expected, "empty .expected file")
                res = check(rel)
                self.assertEqual(res.returncode, 1, res.stderr)
                self.assertEqual(res.stdout, "")
                self.assertEqual(res.stderr, expected)
                # every line is FILE:LINE:COL: message (or FILE: message for file-level)
                for line in res.stderr.splitlines():
                    self.assertTrue(line.startswith(rel + ":"), line)

    def test_every_bad_config_has_an_expected_file(self):
        root = os.path.join(HERE, "configs", "bad")
        for name in os.listdir(root):
            base, ext = os.path.splitext(name)
            if ext == ".expected":
                self.assertTrue(
                    any(os.path.exists(os.path.join(root, base + e))
                        for e in (".yaml", ".yml", ".json")),
                    name + " has no config",
                )

    def test_good_configs_pass(self):
        good = cases("good", {".yaml", ".yml", ".json"})
        self.assertGreaterEqual(len(good), 4)
        for rel in good:
            with self.subTest(config=rel):
                res = check(rel)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertEqual(res.stderr, "")
                m = SUMMARY.match(res.stdout)
                self.assertIsNotNone(m, res.stdout)
                self.assertEqual(m.group("file"), rel)

    def test_missing_file(self):
        res = check("configs/bad/does-not-exist.yaml")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(
            res.stderr,
            "configs/bad/does-not-exist.yaml: cannot read file: No such file or directory\n",
        )

    def test_unknown_extension(self):
        res = check("test_check.py")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(
            res.stderr, "test_check.py: unknown file type (accepted types: json, yaml)\n"
        )


if __name__ == "__main__":
    unittest.main()
