-- Notifications: messages, their delivery log, in-app notices.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    job_id BIGINT
);
CREATE INDEX notifications_recipient ON notifications (recipient);
CREATE INDEX notifications_status ON notifications (status);

CREATE TABLE notification_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT NOT NULL REFERENCES notifications (id),
    attempt BIGINT NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX notification_deliveries_notification ON notification_deliveries (notification_id);

CREATE TABLE in_app_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX in_app_notices_recipient ON in_app_notices (recipient);
