-- 004_config_defaults.sql -- give project_config's object columns the
-- defaults that 001 writes into the first row, so a row created later
-- (INSERT ... DEFAULT VALUES, when a branch has lost its row) holds the
-- same configuration as a freshly migrated branch, and the idiom
-- `SET email_and_password = email_and_password || '{...}'` works on it.
-- Rows whose columns are NULL get the same values.

ALTER TABLE "neon_auth"."project_config"
	ALTER COLUMN "email_provider" SET DEFAULT '{"type": "shared"}'::jsonb,
	ALTER COLUMN "email_and_password" SET DEFAULT
	    '{"enabled": true, "email_verification_method": "otp",
	      "require_email_verification": false, "disable_sign_up": false}'::jsonb,
	ALTER COLUMN "plugin_configs" SET DEFAULT
	    '{"organization": {"enabled": true, "organization_limit": 10,
	                       "membership_limit": 100, "creator_role": "owner",
	                       "send_invitation_email": false},
	      "magic-link": {"enabled": false, "expires_in": 5,
	                     "disable_sign_up": false},
	      "phone-number": {"enabled": false, "otp_expires_in": 300}}'::jsonb,
	ALTER COLUMN "webhook_config" SET DEFAULT
	    '{"enabled": false, "enabled_events": [], "timeout_seconds": 5}'::jsonb;

UPDATE "neon_auth"."project_config" SET
	"email_provider" = COALESCE("email_provider", DEFAULT_EP.v),
	"email_and_password" = COALESCE("email_and_password", DEFAULT_EAP.v),
	"plugin_configs" = COALESCE("plugin_configs", DEFAULT_PC.v),
	"webhook_config" = COALESCE("webhook_config", DEFAULT_WC.v)
FROM
	(SELECT '{"type": "shared"}'::jsonb AS v) AS DEFAULT_EP,
	(SELECT '{"enabled": true, "email_verification_method": "otp",
	          "require_email_verification": false,
	          "disable_sign_up": false}'::jsonb AS v) AS DEFAULT_EAP,
	(SELECT '{"organization": {"enabled": true, "organization_limit": 10,
	                           "membership_limit": 100,
	                           "creator_role": "owner",
	                           "send_invitation_email": false},
	          "magic-link": {"enabled": false, "expires_in": 5,
	                         "disable_sign_up": false},
	          "phone-number": {"enabled": false,
	                           "otp_expires_in": 300}}'::jsonb AS v) AS DEFAULT_PC,
	(SELECT '{"enabled": false, "enabled_events": [],
	          "timeout_seconds": 5}'::jsonb AS v) AS DEFAULT_WC
WHERE "email_provider" IS NULL OR "email_and_password" IS NULL
   OR "plugin_configs" IS NULL OR "webhook_config" IS NULL;
