"""The next review as a due item (issue 12, section 2).

On real PostgreSQL through the API and the pages:
  - a held discussion's next review date is due (GET /api/v1/reviews/due,
    overdue when past) until a discussion booked from it
    (reviews_discussion_id) exists; cancelling that one makes it due again;
  - the later discussion says whose decisions it reviews (API and page);
  - a discussion of another case, or one not held, cannot be reviewed
    (422 naming the field, nothing written); another team does not see
    the due item;
  - the home page lists it with "Book the review", and the booking form
    opened from it carries the case and the link.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_next_review.py -v
"""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase, at  # noqa: E402


def day(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


class NextReview(RecordCase):
    DB = "convene_it_next_review"
    PREFIX = "NR"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pw = ct.add_user(cls.db, "nr-wsw", "social_worker",
                             team="Record Team")

    def held_with_review(self, due):
        m = self.book()
        return self.attend(m, next_review_date=due)

    def due(self, token=None):
        st, _, body = self.call("GET", "/api/v1/reviews/due",
                                token or self.sw)
        self.assertEqual(st, 200, body)
        return {r["discussion_id"]: r for r in body["reviews"]}

    def book_review(self, m, reviews, status=201):
        b = self.booking(starts=at(days=3))
        b["case_ref"] = m["case_ref"]
        del b["children"]
        b["reviews_discussion_id"] = reviews
        st, _, r = self.call("POST", "/api/v1/meetings", self.sw, b)
        self.assertEqual(st, status, r)
        return r

    def test_1_due_until_booked_and_again_when_cancelled(self):
        m = self.held_with_review(day(-1))
        due = self.due()
        self.assertIn(m["id"], due)
        self.assertEqual((due[m["id"]]["due"], due[m["id"]]["overdue"],
                          due[m["id"]]["case_ref"]),
                         (day(-1), True, m["case_ref"]))
        self.assertNotIn(m["id"], self.due(self.sw_b))
        r = self.book_review(m, m["id"])
        self.assertEqual(r["reviews_discussion_id"], m["id"])
        self.assertEqual(r["reviews_date"], m["starts_at"][:10])
        self.assertNotIn(m["id"], self.due())
        st, _, c = self.call("POST", "/api/v1/meetings/%d/cancel" % r["id"],
                             self.sw, {"reason": "Moved"})
        self.assertEqual(st, 200, c)
        self.assertIn(m["id"], self.due())

    def test_2_only_a_held_discussion_of_the_same_case(self):
        m = self.held_with_review(day(5))
        other = self.held_with_review(day(5))
        scheduled = self.book(starts=at(days=2))
        before = ct.counts(self.db)
        for reviews in (other["id"], 999999):
            r = self.book_review(m, reviews, status=422)
            self.assertEqual(r["error"]["field"], "reviews_discussion_id")
        b = self.booking(starts=at(days=3))
        b["case_ref"] = scheduled["case_ref"]
        del b["children"]
        b["reviews_discussion_id"] = scheduled["id"]
        st, _, r = self.call("POST", "/api/v1/meetings", self.sw, b)
        self.assertEqual((st, r["error"]["field"]),
                         (422, "reviews_discussion_id"))
        self.assertEqual(ct.counts(self.db), before)

    def test_3_home_page_and_booking_form(self):
        m = self.held_with_review(day(2))
        cookie = ct.sign_in(self.srv.base, "nr-wsw", self.pw)
        st, _, home = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual(st, 200, home)
        self.assertIn("Reviews due", home)
        self.assertIn('href="/meetings/new?reviews=%d"' % m["id"], home)
        st, _, page = ct.form("GET", self.srv.base, "/meetings/new?reviews=%d"
                              % m["id"], cookie=cookie)
        self.assertEqual(st, 200, page)
        self.assertIn('name="reviews" value="%d"' % m["id"], page)
        self.assertIn('value="%s"' % m["case_ref"], page)
        self.assertIn("reviews the decisions of", page)
        r = self.book_review(m, m["id"])
        st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" % r["id"],
                              cookie=cookie)
        self.assertIn("The decisions of", page)


if __name__ == "__main__":
    unittest.main()
