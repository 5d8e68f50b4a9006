-- The runs page's substring search without reading every line: a pg_trgm GIN index over run_search_text (SQLite: the FTS5 trigram table of its migration 0007).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "run_search_text_trgm" ON "run_search_text" USING gin ("text" gin_trgm_ops);
