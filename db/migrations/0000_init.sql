CREATE TABLE `bundle_files` (
	`run_id` text NOT NULL,
	`path` text NOT NULL,
	`role` text NOT NULL,
	`size_bytes` integer NOT NULL,
	PRIMARY KEY(`run_id`, `path`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `checkpoints` (
	`run_id` text NOT NULL,
	`name` text NOT NULL,
	`state` text NOT NULL,
	`kind` text NOT NULL,
	`epoch` integer,
	`step` integer,
	`score` real,
	`size_bytes` integer,
	`expected` integer NOT NULL,
	PRIMARY KEY(`run_id`, `name`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `checks` (
	`run_id` text NOT NULL,
	`check_id` text NOT NULL,
	`status` text NOT NULL,
	`detail` text NOT NULL,
	PRIMARY KEY(`run_id`, `check_id`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `checks_status` ON `checks` (`check_id`,`status`);--> statement-breakpoint
CREATE TABLE `epoch_values` (
	`run_id` text NOT NULL,
	`metric` text NOT NULL,
	`epoch` integer NOT NULL,
	`step` integer NOT NULL,
	`value` real,
	PRIMARY KEY(`run_id`, `metric`, `epoch`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `points` (
	`series_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`step` integer NOT NULL,
	`epoch` integer,
	`value` real,
	PRIMARY KEY(`series_id`, `seq`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`source_key` text NOT NULL,
	`origin` text NOT NULL,
	`status` text NOT NULL,
	`profile` text,
	`title` text NOT NULL,
	`bundle_dir` text NOT NULL,
	`log_file` text,
	`initiative` text,
	`phase` text,
	`started_at` integer,
	`ended_at` integer,
	`duration_ms` integer,
	`epochs_run` integer,
	`max_epochs` integer,
	`monitor` text,
	`best_value` real,
	`best_epoch` integer,
	`accelerator_requested` text,
	`accelerator_resolved` text,
	`checks_pass` integer DEFAULT 0 NOT NULL,
	`checks_fail` integer DEFAULT 0 NOT NULL,
	`checks_warn` integer DEFAULT 0 NOT NULL,
	`checks_skip` integer DEFAULT 0 NOT NULL,
	`content_hash` text NOT NULL,
	`evidence_json` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_source_key` ON `runs` (`source_key`);--> statement-breakpoint
CREATE INDEX `runs_started` ON `runs` (`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_status_started` ON `runs` (`status`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_initiative_started` ON `runs` (`initiative`,`started_at`);--> statement-breakpoint
CREATE TABLE `series` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`metric` text NOT NULL,
	`points` integer NOT NULL,
	`chart_json` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `series_run_metric` ON `series` (`run_id`,`metric`);--> statement-breakpoint
CREATE TABLE `warnings` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`category` text,
	`message` text NOT NULL,
	`file` text,
	`line` integer,
	`count` integer NOT NULL,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
