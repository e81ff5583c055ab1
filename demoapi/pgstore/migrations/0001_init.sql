-- The demo API's data: Clerk users (synced by webhooks), favourite colours, and
-- the svix-ids of applied webhook deliveries.
CREATE TABLE users (
	id         text PRIMARY KEY,
	email      text    NOT NULL DEFAULT '',
	first_name text    NOT NULL DEFAULT '',
	last_name  text    NOT NULL DEFAULT '',
	image_url  text    NOT NULL DEFAULT '',
	created_at bigint  NOT NULL DEFAULT 0, -- Clerk's, Unix ms
	updated_at bigint  NOT NULL DEFAULT 0, -- Clerk's, Unix ms: later events win
	deleted    boolean NOT NULL DEFAULT false -- a tombstone: a late user.updated must not bring the user back
);

CREATE TABLE favorite_colors (
	user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	color      text   NOT NULL,
	hex        text   NOT NULL,
	updated_at bigint NOT NULL -- Unix ms
);

CREATE TABLE webhook_messages (
	svix_id     text PRIMARY KEY,
	received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_messages_received_at ON webhook_messages (received_at);
