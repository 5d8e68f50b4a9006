CREATE TABLE `run_search` (
	`run_id` text PRIMARY KEY NOT NULL,
	`text` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
DROP INDEX `runs_status_started`;--> statement-breakpoint
ALTER TABLE `runs` ADD `verdict` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `name` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `notes` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `archived_at` integer;--> statement-breakpoint
CREATE INDEX `runs_live_started` ON `runs` (`archived_at`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_live_status` ON `runs` (`archived_at`,`status`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_live_initiative` ON `runs` (`archived_at`,`initiative`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_live_duration` ON `runs` (`archived_at`,`duration_ms`,`id`);--> statement-breakpoint
CREATE INDEX `runs_live_epochs` ON `runs` (`archived_at`,`epochs_run`,`id`);--> statement-breakpoint
CREATE INDEX `runs_live_best` ON `runs` (`archived_at`,`best_value`,`id`);--> statement-breakpoint
CREATE INDEX `runs_live_verdict` ON `runs` (`archived_at`,(CASE verdict WHEN 'fail' THEN 0 WHEN 'incomplete' THEN 1 WHEN 'pending' THEN 2 WHEN 'pass' THEN 3 ELSE 4 END),started_at DESC,id DESC);--> statement-breakpoint
CREATE INDEX `runs_live_origin` ON `runs` (`archived_at`,`origin`,`started_at`,`id`);