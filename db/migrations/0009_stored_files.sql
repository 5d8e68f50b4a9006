CREATE TABLE `stored_file_chunks` (
	`run_id` text NOT NULL,
	`path` text NOT NULL,
	`seq` integer NOT NULL,
	`bytes` blob NOT NULL,
	PRIMARY KEY(`run_id`, `path`, `seq`),
	FOREIGN KEY (`run_id`,`path`) REFERENCES `stored_files`(`run_id`,`path`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `stored_files` (
	`run_id` text NOT NULL,
	`path` text NOT NULL,
	`encoding` text NOT NULL,
	`cut` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`stored_bytes` integer NOT NULL,
	`encoded_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`chunk_bytes` integer NOT NULL,
	`chunks` integer NOT NULL,
	`stored_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `path`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
