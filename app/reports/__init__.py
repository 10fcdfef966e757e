"""Reports: completion records, their exports and the programme's indicators. Reads other domains' tables, owns none."""
