CREATE TABLE `sign_in_lockouts` (
	`address` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`blocked_until` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sign_in_lockouts_updated_idx` ON `sign_in_lockouts` (`updated_at`);--> statement-breakpoint
ALTER TABLE `operators` ADD `role` text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE `operators` ADD `scope` text;