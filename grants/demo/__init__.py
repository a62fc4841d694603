"""The demo data set loaded by `make run` on an empty database (and by `grants seed demo`)."""
