-- The sites that may frame a poll's embed page: https origins separated by
-- spaces, or "*" for any site; empty: no site may (the default, and what
-- every poll made before embedding keeps).
ALTER TABLE polls ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '' CHECK (length(embed_origins) <= 2000);
