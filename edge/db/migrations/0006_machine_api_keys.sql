CREATE TABLE `machine_api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`key_prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `machine_api_keys_key_hash_unique` ON `machine_api_keys` (`key_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `machine_api_keys_name_unique` ON `machine_api_keys` (`name`);