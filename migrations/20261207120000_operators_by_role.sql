-- The Operators list is one tab per role, by name: with this index a tab's first page reads its
-- rows in order instead of walking every operator's name (the administrator's System
-- administrators tab: ~100 of 50,000 in `cargo xtask bench backoffice`).
CREATE INDEX operators_role_name_idx ON operators (role, lower(name), id);
