"""The notice kinds are defined once in include/notice.h (NOTICE_KINDS);
sql/031_notices.sql repeats them in outbox's CHECK, because a migration
cannot include a C header. This test keeps the two the same, and checks
the migrated database carries both constraints."""
import os
import re
import unittest

import convene_test as ct

SRC = os.environ.get("CONVENE_SOURCE_DIR", os.path.join(
    os.path.dirname(__file__), "..", ".."))


def header_kinds():
    text = open(os.path.join(SRC, "include", "notice.h")).read()
    block = text[text.index("#define NOTICE_KINDS"):]
    block = block[:block.index("enum notice_kind")]
    return re.findall(r'X\(\w+,\s*"([a-z_]+)"\)', block)


def sql_kinds():
    text = open(os.path.join(SRC, "sql", "031_notices.sql")).read()
    m = re.search(r"outbox_kind_check CHECK \(kind IN\s*\((.*?)\)\)", text,
                  re.S)
    words = re.findall(r"'([a-z_]+)'", m.group(1))
    return [w for w in words if w not in ("new", "update", "cancel",
                                          "removed")]


class NoticeKinds(unittest.TestCase):
    def test_header_and_migration_agree(self):
        h = header_kinds()
        self.assertGreaterEqual(len(h), 5)
        self.assertEqual(h, sql_kinds())

    def test_database_checks(self):
        owner = ct.owner_url(ct.fresh_database("convene_notice_kinds"))
        rows = ct.query(owner, "SELECT conname, pg_get_constraintdef(oid) "
                        "FROM pg_constraint WHERE conrelid = "
                        "'outbox'::regclass AND conname IN "
                        "('outbox_kind_check', 'outbox_method_check')")
        defs = dict(rows)
        for k in header_kinds():
            self.assertIn("'%s'" % k, defs["outbox_kind_check"])
        self.assertIn("method IS NOT NULL", defs["outbox_method_check"])


if __name__ == "__main__":
    unittest.main()
