"""Coordination cell: duplicated funding across ministries (issue 11).

The matching engine is pure Python (no Flask, no database): `records` reads and checks the import
format, `names` normalizes organization names, `entities` decides which records are the same
organization, `duplicates` finds the funding lines that pay twice for the same purpose. The batch
command (`grants dedupe`) and the pages call the same code.
"""
