"""Klasteris: the virtual learning environment of the NOR-LT10 social cluster programme."""
