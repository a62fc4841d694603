"""Calls for projects and continuous intakes: when and to whom a program is open."""
