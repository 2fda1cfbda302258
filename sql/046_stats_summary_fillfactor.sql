-- The summaries are rows that every fold updates in place (issue 12
-- section 3): a day row is changed by each booking on that day, a month
-- row by every fold. With full pages (fillfactor 100) each such update
-- writes the new row version to another page and a new entry into the
-- primary key (eight columns, text among them), and the next upsert walks
-- past the dead entries: about 50 us per conflicting row under booking load
-- (auto_explain, docs/performance.md, session 12), two thirds of the fold.
-- With room on the page the update is HOT: same page, no index entry.
-- Their only index is the primary key, whose columns a fold never changes.
-- CLUSTER rewrites what is already there at the new fill.
ALTER TABLE stats_summary SET (fillfactor = 50);
ALTER TABLE stats_agency_summary SET (fillfactor = 50);
ALTER TABLE stats_org_summary SET (fillfactor = 50);
ALTER TABLE stats_org_brief SET (fillfactor = 50);
CLUSTER stats_summary USING stats_summary_pkey;
CLUSTER stats_agency_summary USING stats_agency_summary_pkey;
CLUSTER stats_org_summary USING stats_org_summary_pkey;
CLUSTER stats_org_brief USING stats_org_brief_pkey;
