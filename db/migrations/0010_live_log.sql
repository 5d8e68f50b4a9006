CREATE TABLE `live_log` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`text` text NOT NULL,
	`bytes` integer NOT NULL,
	`cut` integer NOT NULL,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
