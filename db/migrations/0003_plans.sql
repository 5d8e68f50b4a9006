CREATE TABLE `plan_rows` (
	`plan_id` text NOT NULL,
	`row_id` text NOT NULL,
	`ord` integer NOT NULL,
	`phase` text,
	`phase_id` text,
	`description` text NOT NULL,
	`state` text NOT NULL,
	`guidance` text NOT NULL,
	`line` integer NOT NULL,
	`end_line` integer NOT NULL,
	PRIMARY KEY(`plan_id`, `row_id`),
	FOREIGN KEY (`plan_id`) REFERENCES `plans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `plans` (
	`id` text PRIMARY KEY NOT NULL,
	`path` text NOT NULL,
	`display` text NOT NULL,
	`initiative` text NOT NULL,
	`title` text,
	`mtime_ms` integer NOT NULL,
	`size` integer NOT NULL,
	`problems_json` text DEFAULT '[]' NOT NULL,
	`indexed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `plans_path_unique` ON `plans` (`path`);--> statement-breakpoint
CREATE TABLE `run_plan_rows` (
	`run_id` text NOT NULL,
	`plan_path` text NOT NULL,
	`plan_display` text NOT NULL,
	`row_id` text NOT NULL,
	`source` text NOT NULL,
	PRIMARY KEY(`run_id`, `plan_path`, `row_id`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_plan_rows_row` ON `run_plan_rows` (`plan_path`,`row_id`);