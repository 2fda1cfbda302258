-- The meeting list's two counts (server/model_list.c, LIST_TOTAL) read the
-- heap once for each row they count: the team's own discussions were found
-- through (team_id, starts_at) and each row's authority_id checked in the
-- heap; the discussions of the cases a team holds were probed by case_id and
-- each row's team_id and authority_id checked in the heap. With tens of
-- thousands of discussions that was 38 ms a list and 73 % of the soak's
-- database time (docs/performance.md). With the columns the counts test
-- carried in the indexes, both are index-only scans. No index is added, so a
-- write maintains as many as before.
CREATE INDEX discussions_team_start_ao ON discussions (team_id, starts_at)
	INCLUDE (authority_id);
DROP INDEX discussions_team_start;
ALTER INDEX discussions_team_start_ao RENAME TO discussions_team_start;

CREATE INDEX discussions_case_ao ON discussions (case_id)
	INCLUDE (team_id, authority_id);
DROP INDEX discussions_case;
ALTER INDEX discussions_case_ao RENAME TO discussions_case;
