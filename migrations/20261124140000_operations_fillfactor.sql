-- An operation row is inserted PENDING and updated once when it finishes. With full pages
-- that update has to go to another page and add an entry to each of the four indexes; with
-- room left on the page it stays there (a HOT update: no columns it changes are indexed) and
-- no index is touched. Only pages written from now on keep the room.
ALTER TABLE operations SET (fillfactor = 70);
