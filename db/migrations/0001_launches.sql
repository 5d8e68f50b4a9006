CREATE TABLE `launches` (
	`run_id` text PRIMARY KEY NOT NULL,
	`profile` text NOT NULL,
	`params_json` text NOT NULL,
	`cpu_only` integer NOT NULL,
	`argv_json` text NOT NULL,
	`cwd` text NOT NULL,
	`env_json` text NOT NULL,
	`output_dir` text NOT NULL,
	`keep_output` integer NOT NULL,
	`timeout_ms` integer NOT NULL,
	`queued_at` integer NOT NULL,
	`host` text,
	`pid` integer,
	`pgid` integer,
	`process_started_at` integer,
	`exit_code` integer,
	`signal` text,
	`cancel_requested_at` integer,
	`git_commit` text,
	`error` text,
	`live_json` text DEFAULT '{}' NOT NULL,
	`live_seq` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`concurrency` integer NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `plan_rows_json` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `lease_token` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `lease_expires_at` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `worker_id` text;--> statement-breakpoint
CREATE INDEX `runs_status_created` ON `runs` (`status`,`created_at`);