CREATE TABLE `analytics_stale_facts` (
	`dialogue_id` text PRIMARY KEY NOT NULL,
	`local_day` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `analytics_state` ADD `facts_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `dialogue_facts` ADD `search_key` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `dialogue_facts_search_idx` ON `dialogue_facts` (`search_key`);