"""From a lexicon to rows: the scene tables, the frame pool, drawing scenes, realising them
as rows."""
