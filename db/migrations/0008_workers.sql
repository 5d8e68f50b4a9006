ALTER TABLE `launches` ADD `labels_json` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `launches` ADD `worker_id` text;--> statement-breakpoint
ALTER TABLE `workers` ADD `state` text DEFAULT 'online' NOT NULL;--> statement-breakpoint
ALTER TABLE `workers` ADD `labels_json` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `workers` ADD `gpus_json` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `workers` ADD `profiles_json` text;