CREATE TABLE `studio_edges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`api_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `studio_edges_name_unique` ON `studio_edges` (`name`);--> statement-breakpoint
CREATE TABLE `studio_publications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`edge_id` integer NOT NULL,
	`edge_name` text NOT NULL,
	`edge_import_id` integer NOT NULL,
	`status` text NOT NULL,
	`report_json` text NOT NULL,
	`package_bytes` integer NOT NULL,
	`published_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `studio_campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `studio_publications_campaign_idx` ON `studio_publications` (`campaign_id`,`published_at`);--> statement-breakpoint
ALTER TABLE `studio_campaigns` ADD `ulaw` integer DEFAULT false NOT NULL;