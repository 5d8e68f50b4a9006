-- The runs page sorted by verdict walks runs_live_verdict, which must hold its runs in the order the page asks for: worst first,
-- newest first within a verdict, never-started runs last. PostgreSQL orders NULL highest, so `started_at DESC` (NULLS FIRST)
-- put the never-started first and the page sorted every run; the page asks for `started_at DESC NULLS LAST`, and so does the
-- index now. SQLite (NULL lowest, no NULLS in an index) keeps db/schema.ts's definition; a later change to that index in
-- db/schema.ts must keep NULLS LAST here.
DROP INDEX IF EXISTS "runs_live_verdict";--> statement-breakpoint
CREATE INDEX "runs_live_verdict" ON "runs" USING btree ("archived_at",(CASE verdict WHEN 'fail' THEN 0 WHEN 'incomplete' THEN 1 WHEN 'pending' THEN 2 WHEN 'pass' THEN 3 ELSE 4 END),started_at DESC NULLS LAST,id DESC);
--> statement-breakpoint
-- The planner's figures for the index's verdict expression went with the old index: gathered again now, not at autovacuum's next pass.
ANALYZE "runs";
