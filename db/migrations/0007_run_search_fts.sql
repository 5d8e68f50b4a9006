-- run_search becomes narrow (an integer key per run); its line moves to run_search_text, indexed by run_search_fts.
CREATE TABLE `__new_run_search` (
	`id` integer PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_run_search`("run_id") SELECT "run_id" FROM `run_search`;--> statement-breakpoint
CREATE TABLE `__old_run_search_text` AS SELECT n.`id` AS `id`, o.`text` AS `text` FROM `__new_run_search` n JOIN `run_search` o ON o.`run_id` = n.`run_id`;--> statement-breakpoint
DROP TABLE `run_search`;--> statement-breakpoint
ALTER TABLE `__new_run_search` RENAME TO `run_search`;--> statement-breakpoint
CREATE UNIQUE INDEX `run_search_run_id_unique` ON `run_search` (`run_id`);--> statement-breakpoint
CREATE TABLE `run_search_text` (
	`id` integer PRIMARY KEY NOT NULL,
	`text` text NOT NULL,
	FOREIGN KEY (`id`) REFERENCES `run_search`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `run_search_text`("id", "text") SELECT `id`, `text` FROM `__old_run_search_text`;--> statement-breakpoint
DROP TABLE `__old_run_search_text`;--> statement-breakpoint
-- Substring search without reading every line: an FTS5 trigram index over run_search_text (its external content), kept in step by triggers.
CREATE VIRTUAL TABLE `run_search_fts` USING fts5(`text`, content='run_search_text', content_rowid='id', tokenize='trigram');--> statement-breakpoint
INSERT INTO `run_search_fts`(`run_search_fts`) VALUES ('rebuild');--> statement-breakpoint
CREATE TRIGGER `run_search_fts_insert` AFTER INSERT ON `run_search_text` BEGIN
	INSERT INTO `run_search_fts`(rowid, `text`) VALUES (new.`id`, new.`text`);
END;--> statement-breakpoint
CREATE TRIGGER `run_search_fts_delete` AFTER DELETE ON `run_search_text` BEGIN
	INSERT INTO `run_search_fts`(`run_search_fts`, rowid, `text`) VALUES ('delete', old.`id`, old.`text`);
END;--> statement-breakpoint
CREATE TRIGGER `run_search_fts_update` AFTER UPDATE ON `run_search_text` BEGIN
	INSERT INTO `run_search_fts`(`run_search_fts`, rowid, `text`) VALUES ('delete', old.`id`, old.`text`);
	INSERT INTO `run_search_fts`(rowid, `text`) VALUES (new.`id`, new.`text`);
END;
