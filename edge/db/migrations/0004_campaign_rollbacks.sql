CREATE TABLE `campaign_rollbacks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rolled_back_at` integer NOT NULL,
	`operator` text,
	`from_import_id` integer NOT NULL,
	`to_import_id` integer NOT NULL
);
